"""Corpus-level text metrics through the field's reference implementations: sacreBLEU's
BLEU and chrF of detokenised hypotheses against raw references (translation), and
Google's ``rouge-score`` ROUGE-1/2/L F1 (summarization), with how abstractive a summary
is."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache


def bleu(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """sacreBLEU corpus BLEU (0-100; 13a tokenisation, one reference per sentence)."""
    import sacrebleu

    _check(hypotheses, references)
    return float(sacrebleu.corpus_bleu(list(hypotheses), [list(references)]).score)


def chrf(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """sacreBLEU corpus chrF (0-100; character 6-grams, beta 2)."""
    import sacrebleu

    _check(hypotheses, references)
    return float(sacrebleu.corpus_chrf(list(hypotheses), [list(references)]).score)


def translation_scores(hypotheses: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """``{"bleu": ..., "chrf": ...}``, each rounded to 2 decimals as papers report them."""
    return {
        "bleu": round(bleu(hypotheses, references), 2),
        "chrf": round(chrf(hypotheses, references), 2),
    }


def signatures() -> dict[str, str]:
    """sacreBLEU's signatures of the two metrics (version and settings), for reports."""
    import sacrebleu

    signed = {}
    for name, metric in (("bleu", sacrebleu.BLEU()), ("chrf", sacrebleu.CHRF())):
        metric.corpus_score(["a"], [["a"]])  # the signature names the reference count
        signed[name] = str(metric.get_signature())
    return signed


def _check(hypotheses: Sequence[str], references: Sequence[str]) -> None:
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} references")


ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
_WORD = re.compile(r"[a-z0-9]+")


@cache
def _rouge_scorer():
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)


def rouge_per_pair(hypotheses: Sequence[str], references: Sequence[str]) -> list[dict]:
    """``rouge-score``'s ROUGE-1, ROUGE-2 and ROUGE-L F1 (0-1, Porter stemming on) of
    each hypothesis against its reference. (Not ROUGE-Lsum: its sentence splitting needs
    NLTK data that is not available offline, and synopses are one sentence.)"""
    _check(hypotheses, references)
    scorer = _rouge_scorer()
    return [
        {k: v.fmeasure for k, v in scorer.score(ref, hyp).items()}
        for hyp, ref in zip(hypotheses, references)
    ]


def rouge_scores(hypotheses: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Mean ROUGE-1/2/L F1 over the pairs, 0-100 and rounded to 2 decimals as papers
    report them."""
    rows = rouge_per_pair(hypotheses, references)
    return {k: round(100 * sum(r[k] for r in rows) / max(len(rows), 1), 2) for k in ROUGE_TYPES}


def words(text: str) -> list[str]:
    """Lower-cased alphanumeric words (rouge-score's tokenisation, without stemming)."""
    return _WORD.findall(text.lower())


def abstractiveness(
    hypotheses: Sequence[str], documents: Sequence[str], references: Sequence[str]
) -> dict[str, float]:
    """How a set of summaries relates to its documents, in % (of words over the corpus):

    - ``length_ratio``: summary words / reference words;
    - ``novel_unigrams`` and ``novel_bigrams``: summary n-grams absent from the document
      (how abstractive the output is);
    - ``invented_words``: summary words absent from both the document and the reference
      (names a model made up).
    """
    _check(hypotheses, documents)
    _check(hypotheses, references)
    counts = dict.fromkeys(("words", "ref_words", "novel1", "bigrams", "novel2", "invented"), 0)
    for hyp, doc, ref in zip(hypotheses, documents, references):
        h, d, r = words(hyp), words(doc), words(ref)
        doc_words, doc_bigrams = set(d), set(zip(d, d[1:]))
        counts["words"] += len(h)
        counts["ref_words"] += len(r)
        counts["novel1"] += sum(w not in doc_words for w in h)
        counts["invented"] += sum(w not in doc_words and w not in set(r) for w in h)
        bigrams = list(zip(h, h[1:]))
        counts["bigrams"] += len(bigrams)
        counts["novel2"] += sum(b not in doc_bigrams for b in bigrams)
    share = lambda a, b: round(100 * a / b, 2) if b else 0.0  # noqa: E731
    return {
        "length_ratio": round(counts["words"] / max(counts["ref_words"], 1), 3),
        "novel_unigrams": share(counts["novel1"], counts["words"]),
        "novel_bigrams": share(counts["novel2"], counts["bigrams"]),
        "invented_words": share(counts["invented"], counts["words"]),
    }
