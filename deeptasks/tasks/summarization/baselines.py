"""The classical summarizers every model is scored beside: the lead sentence, the first
k words (k picked on validation), and LexRank (sumy) over the document's sentences."""

from __future__ import annotations

from functools import cache

import numpy as np

from deeptasks.common.metrics import text as text_metrics
from deeptasks.datasets import ddtp

FIRST_K_CHOICES = tuple(range(3, 21))


def sentences(document: str) -> list[str]:
    """The document's sentences: each line (a paragraph, a list item, a verbatim line)
    split at sentence ends, with the DDTP corpora's abbreviation rules."""
    found = []
    for line in document.split("\n"):
        found.extend(s for s in ddtp.split_sentences(line) if s.strip())
    return found or [document.strip()]


def lead_1(document: str) -> str:
    """The first sentence."""
    return sentences(document)[0]


def first_k(document: str, k: int) -> str:
    """The first ``k`` words."""
    return " ".join(document.split()[:k])


def pick_k(documents: list[str], references: list[str]) -> tuple[int, dict[int, float]]:
    """The k of :func:`first_k` with the best mean ROUGE-L on these (validation) pairs,
    and the ROUGE-L of every k tried."""
    scored = {
        k: text_metrics.rouge_scores([first_k(d, k) for d in documents], references)["rougeL"]
        for k in FIRST_K_CHOICES
    }
    return max(scored, key=lambda k: (scored[k], -k)), scored


class _Tokenizer:
    """What sumy asks of a tokenizer, without NLTK's punkt (not available offline):
    sentences by :func:`sentences`, words by rouge-score's rule."""

    language = "english"

    def to_sentences(self, paragraph: str) -> list[str]:
        return sentences(paragraph)

    def to_words(self, sentence: str) -> list[str]:
        return text_metrics.words(sentence)


@cache
def _lexrank():
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.utils import get_stop_words

    summarizer = LexRankSummarizer(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    return summarizer


def lexrank(document: str) -> str:
    """The most central sentence by LexRank (Erkan and Radev 2004; sumy's
    implementation, continuous cosine similarities)."""
    from sumy.parsers.plaintext import PlaintextParser

    found = sentences(document)
    if len(found) == 1:
        return found[0]
    parser = PlaintextParser.from_string("\n".join(found), _Tokenizer())
    with np.errstate(invalid="ignore", divide="ignore"):  # sentences with no shared word
        best = _lexrank()(parser.document, 1)
    return str(best[0]) if best else found[0]
