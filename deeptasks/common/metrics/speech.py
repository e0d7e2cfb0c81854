"""Word and character error rates (``jiwer``), corpus-level: total edits / total words."""

from __future__ import annotations


def _check(references: list[str], hypotheses: list[str]) -> None:
    if len(references) != len(hypotheses):
        raise ValueError(f"{len(references)} references but {len(hypotheses)} hypotheses")


def wer(references: list[str], hypotheses: list[str]) -> float:
    """Word error rate: (substitutions + deletions + insertions) / reference words, over the
    whole list. Empty references are skipped (they have no words to get wrong)."""
    import jiwer

    _check(references, hypotheses)
    pairs = [(r, h) for r, h in zip(references, hypotheses) if r.strip()]
    if not pairs:
        return 0.0
    return float(jiwer.wer([r for r, _ in pairs], [h for _, h in pairs]))


def cer(references: list[str], hypotheses: list[str]) -> float:
    """Character error rate (spaces count as characters), over the whole list."""
    import jiwer

    _check(references, hypotheses)
    pairs = [(r, h) for r, h in zip(references, hypotheses) if r.strip()]
    if not pairs:
        return 0.0
    return float(jiwer.cer([r for r, _ in pairs], [h for _, h in pairs]))
