"""Corpus-level text metrics through sacreBLEU (the field's reference implementation):
BLEU and chrF of detokenised hypotheses against raw references."""

from __future__ import annotations

from collections.abc import Sequence


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
