"""A character n-gram language model for shallow fusion in CTC beam search.

Interpolated Witten-Bell smoothing (Witten & Bell, 1991; as in Chen & Goodman, 1998):

    P(c | h) = (C(h c) + N1+(h .) * P(c | h')) / (C(h) + N1+(h .))

where ``h'`` is ``h`` without its oldest character, ``C`` counts training n-grams and
``N1+(h .)`` is the number of distinct characters seen after ``h``; the order-0 model is
uniform over the alphabet plus the end of a sentence. Or interpolated Kneser-Ney (Chen &
Goodman, 1998), with one discount ``D = n1 / (n1 + 2 n2)`` per order:

    P(c | h) = (max(C(h c) - D, 0) + D * N1+(h .) * P(c | h')) / C(h)

where below the highest order ``C(h c)`` is the number of distinct characters seen before
``h c`` (continuation counts). Sentences are padded on the left with ``order - 1`` start
marks, so the first characters are scored from a short history.
"""

from __future__ import annotations

import math

import numpy as np

START = "\x02"  # left padding: never a character of the alphabet
END = "\x03"  # the end of a sentence, scored like a character
SMOOTHING = ("witten_bell", "kneser_ney")


class CharNgramLM:
    """``order``-gram character model over ``alphabet`` (+ the end of a sentence), fitted
    on ``texts``; characters outside ``alphabet`` are dropped.

    The counts are taken with numpy over the whole text at once: every n-gram is one
    integer, its characters as digits in base ``len(alphabet) + 3`` (no digit is 0, so
    n-grams of different lengths never share a number), the newest character lowest. A
    history is then ``code // base`` and dropping its oldest character ``code % base**k``.

    Example:
        >>> lm = CharNgramLM(["ab", "ab"], "ab", order=2)
        >>> round(lm.prob("a", "b"), 3)  # (2 + 1 * P(b)) / (2 + 1), P(b) = (2 + 3 / 3) / 9
        0.778
    """

    end = END

    def __init__(self, texts, alphabet: str, order: int = 5, smoothing: str = "witten_bell"):
        if order < 1:
            raise ValueError(f"order must be >= 1; got {order}")
        if smoothing not in SMOOTHING:
            raise ValueError(f"smoothing must be one of {', '.join(SMOOTHING)}; got {smoothing}")
        self.kneser_ney = smoothing == "kneser_ney"
        self.alphabet, self.order = alphabet, order
        self.symbols = len(alphabet) + 1  # + END
        self._digit = {c: i + 1 for i, c in enumerate(alphabet + START + END)}
        self._base = base = len(alphabet) + 3
        if base**order >= 2**63:
            raise ValueError(f"order {order} is too long for {len(alphabet)} characters")
        pad = START * (order - 1)
        text = "".join(pad + t.replace(START, "").replace(END, "") + END for t in texts)
        table = np.zeros(max(map(ord, self._digit)) + 1, np.int64)
        table[[ord(c) for c in self._digit]] = list(self._digit.values())
        points = np.frombuffer(text.encode("utf-32-le"), np.uint32)
        digits = np.where(points < len(table), table[np.minimum(points, len(table) - 1)], 0)
        digits = digits[digits > 0]  # characters outside the alphabet are dropped
        targets = np.flatnonzero(digits != self._digit[START])
        code = np.zeros(len(targets), np.int64)
        counted = []  # per length: the n-grams (sorted) and their counts
        for k in range(order):  # n-grams of k + 1 characters: histories of k
            code += digits[targets - k] * base**k
            counted.append(np.unique(code, return_counts=True))
        if self.kneser_ney:  # below the top order: how many characters come before each
            counted[:-1] = [
                np.unique(grams % base**n, return_counts=True)  # without the oldest one
                for n, (grams, _) in enumerate(counted[1:], 1)
            ]
        self._ngrams: dict[int, int] = {}
        self._totals: dict[int, tuple[int, int]] = {}  # history -> (count, distinct next)
        self._discounts = []
        for grams, counts in counted:
            self._ngrams.update(zip(grams.tolist(), counts.tolist()))
            histories, first, distinct = np.unique(
                grams // base, return_index=True, return_counts=True
            )
            totals = np.add.reduceat(counts, first)
            self._totals.update(zip(histories.tolist(), zip(totals.tolist(), distinct.tolist())))
            ones, twos = np.sum(counts == 1), np.sum(counts == 2)
            self._discounts.append(ones / (ones + 2 * twos) if ones and twos else 0.5)
        self._cache: dict[tuple[str, str], float] = {}
        self._log_cache: dict[tuple[str, str], float] = {}

    def prob(self, history: str, char: str) -> float:
        """P(char | the last ``order - 1`` characters of history); ``char`` may be END."""
        return self._prob(self._history(history), char)

    def _history(self, history: str) -> str:
        """The last ``order - 1`` characters, padded with START when there are fewer (no
        copy of a long history: beam search asks this for every prefix it extends)."""
        keep = self.order - 1
        tail = history[-keep:] if keep else ""
        return tail if len(tail) == keep else START * (keep - len(tail)) + tail

    def _code(self, chars: str) -> int:
        """The n-gram's number; -1 (never counted) when a character is not modelled."""
        code = 0
        for c in chars:
            digit = self._digit.get(c)
            if digit is None:
                return -1
            code = code * self._base + digit
        return code

    def _prob(self, history: str, char: str) -> float:
        key = (history, char)
        if key not in self._cache:
            lower = self._prob(history[1:], char) if history else 1.0 / self.symbols
            total, distinct = self._totals.get(self._code(history), (0, 0))
            value = lower
            if total:
                seen = self._ngrams.get(self._code(history + char), 0)
                if self.kneser_ney:
                    discount = self._discounts[len(history)]
                    value = (max(seen - discount, 0) + discount * distinct * lower) / total
                else:
                    value = (seen + distinct * lower) / (total + distinct)
            self._cache[key] = value
        return self._cache[key]

    def log_prob(self, history: str, char: str) -> float:
        """Natural log of :meth:`prob`."""
        key = (self._history(history), char)
        if key not in self._log_cache:
            self._log_cache[key] = math.log(self._prob(*key))
        return self._log_cache[key]

    def sentence_log_prob(self, text: str) -> float:
        """log P(text, then the end of the sentence)."""
        return sum(self.log_prob(text[:i], c) for i, c in enumerate(text + END))
