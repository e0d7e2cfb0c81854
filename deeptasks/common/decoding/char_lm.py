"""A character n-gram language model for shallow fusion in CTC beam search.

Interpolated Witten-Bell smoothing (Witten & Bell, 1991; as in Chen & Goodman, 1998):

    P(c | h) = (C(h c) + N1+(h .) * P(c | h')) / (C(h) + N1+(h .))

where ``h'`` is ``h`` without its oldest character, ``C`` counts training n-grams and
``N1+(h .)`` is the number of distinct characters seen after ``h``; the order-0 model is
uniform over the alphabet plus the end of a sentence. Sentences are padded on the left
with ``order - 1`` start marks, so the first characters are scored from a short history.
"""

from __future__ import annotations

import math
from collections import defaultdict

START = "\x02"  # left padding: never a character of the alphabet
END = "\x03"  # the end of a sentence, scored like a character


class CharNgramLM:
    """``order``-gram character model over ``alphabet`` (+ the end of a sentence), fitted
    on ``texts``; characters outside ``alphabet`` are dropped.

    Example:
        >>> lm = CharNgramLM(["ab", "ab"], "ab", order=2)
        >>> round(lm.prob("a", "b"), 3)  # (2 + 1 * P(b)) / (2 + 1), P(b) = (2 + 3 / 3) / 9
        0.778
    """

    end = END

    def __init__(self, texts, alphabet: str, order: int = 5):
        if order < 1:
            raise ValueError(f"order must be >= 1; got {order}")
        self.alphabet, self.order = alphabet, order
        self.symbols = len(alphabet) + 1  # + END
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        allowed = set(alphabet)
        for text in texts:
            padded = START * (order - 1) + "".join(c for c in text if c in allowed) + END
            for i in range(order - 1, len(padded)):
                for k in range(order):  # histories of 0 .. order-1 characters
                    counts[padded[i - k : i]][padded[i]] += 1
        self._counts = {h: dict(nexts) for h, nexts in counts.items()}
        self._totals = {h: (sum(n.values()), len(n)) for h, n in self._counts.items()}
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

    def _prob(self, history: str, char: str) -> float:
        key = (history, char)
        if key not in self._cache:
            lower = self._prob(history[1:], char) if history else 1.0 / self.symbols
            total, distinct = self._totals.get(history, (0, 0))
            if total:
                seen = self._counts[history].get(char, 0)
                value = (seen + distinct * lower) / (total + distinct)
            else:
                value = lower
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
