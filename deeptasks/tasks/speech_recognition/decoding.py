"""From logits to text: greedy, beam search, and beam search with the character (and
word) n-gram language models of the run's LM text fused in."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from deeptasks.common.decoding.char_lm import CharNgramLM
from deeptasks.common.decoding.ctc import beam_decode, greedy_decode, prefix_beam_search
from deeptasks.common.decoding.word_lm import WordFusedLM, WordNgramLM
from deeptasks.datasets.english_text import ALPHABET
from deeptasks.tasks.speech_recognition import data


def decode(
    scores: list,
    beam_width: int = 0,
    lm=None,
    lm_weight: float = 0.5,
    lm_bonus: float = 0.0,
    prune: float = -10.0,
) -> list[str]:
    """Texts of per-utterance logits: greedy, beam search of ``beam_width``, or beam search
    with the character language model ``lm`` fused in (trying at each frame only the
    labels of log-probability >= ``prune``)."""
    texts = []
    for one in scores:
        if beam_width and lm is not None:
            log_probs = one - np.logaddexp.reduce(one, axis=-1, keepdims=True)
            texts.append(
                prefix_beam_search(log_probs, ALPHABET, beam_width, lm, lm_weight, lm_bonus, prune)
            )
        elif beam_width:
            texts += beam_decode(one[None], ALPHABET, beam_width)
        else:
            texts += greedy_decode(one[None], ALPHABET)
    return texts


def language_model(cfg) -> CharNgramLM | WordFusedLM | None:
    """The ``model.lm_order``-gram character model of ``data.lm_texts`` with
    ``model.lm_smoothing`` (None when ``lm_order`` is 0), with the ``model.word_lm_order``
    -gram word model of the same text on top when that is > 0; the same text gives the
    same models."""
    m = cfg.model
    if not m.lm_order:
        return None
    texts = data.lm_texts(cfg)
    chars = _language_model(texts, m.lm_order, m.lm_smoothing)
    if not m.word_lm_order:
        return chars
    return WordFusedLM(chars, _word_model(texts, m.word_lm_order), m.word_lm_weight)


def lm_description(cfg) -> str:
    """Words for the text ``data.lm_texts`` gives the LM."""
    if data.lm_from_sources(cfg):
        return "the corpus's text sources without its val/test sentences"
    return "the training transcripts"


@lru_cache(maxsize=2)
def _language_model(texts: tuple[str, ...], order: int, smoothing: str) -> CharNgramLM:
    return CharNgramLM(texts, ALPHABET, order, smoothing)


def lm_summary(cfg) -> str:
    """The fused language models and their weights, in words, for the metrics."""
    m = cfg.model
    summary = (
        f"{m.lm_order}-gram characters of {lm_description(cfg)}, "
        f"{m.lm_smoothing.replace('_', '-')} smoothing, "
        f"weight {m.lm_weight}, bonus {m.lm_bonus} a character"
    )
    if m.word_lm_order:
        summary += (
            f"; {m.word_lm_order}-gram words of the same text, Kneser-Ney, "
            f"weight {m.word_lm_weight}"
        )
    return summary


@lru_cache(maxsize=2)
def _word_model(texts: tuple[str, ...], order: int) -> WordNgramLM:
    return WordNgramLM(texts, order)


def decoder_with_lm(cfg):
    """``decode`` as predict uses it: beam search with the language model of the run's
    LM text, ``data.lm_texts`` (without one when ``model.lm_order`` is 0)."""
    lm, m = language_model(cfg), cfg.model
    return lambda scores: decode(scores, m.beam_width, lm, m.lm_weight, m.lm_bonus, m.lm_prune)
