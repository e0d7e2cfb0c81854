"""A word n-gram language model, fused into CTC beam search beside the character model.

Interpolated Kneser-Ney smoothing over words (Chen & Goodman, 1998), one discount
``D = n1 / (n1 + 2 n2)`` per order:

    P(w | h) = (max(C(h w) - D, 0) + D * N1+(h .) * P(w | h')) / C(h)

where ``h'`` is ``h`` without its oldest word and, below the highest order, ``C`` counts
the distinct words seen before an n-gram (continuation counts). The order-0 model is
uniform over the vocabulary plus one unknown word, so a word never seen in the text keeps
a small probability: the decoder can still spell it, at a price.

``WordFusedLM`` puts a word model on top of a character model for
``ctc.prefix_beam_search``: it scores characters like the character model and, when a
space or the end of the sentence completes a word, adds ``weight`` times the word's log
probability given the words before it.
"""

from __future__ import annotations

import math
from collections import Counter

START = "<s>"
UNKNOWN = "<unk>"


class WordNgramLM:
    """``order``-gram word model fitted on ``texts`` (words split on spaces).

    Example:
        >>> lm = WordNgramLM(["a b", "a b", "a c"], order=2)
        >>> lm.prob(["a"], "b") > lm.prob(["a"], "c") > lm.prob(["a"], "zzz")
        True
    """

    def __init__(self, texts, order: int = 3):
        if order < 1:
            raise ValueError(f"order must be >= 1; got {order}")
        self.order = order
        top: Counter = Counter()
        for text in texts:
            words = [START] * (order - 1) + text.split()
            for k in range(order - 1, len(words)):
                top[tuple(words[k - order + 1 : k + 1])] += 1
        self.vocabulary = {gram[-1] for gram in top}
        # counts per length: the top order's are raw, the lower ones continuation counts
        counts: list[Counter] = [Counter() for _ in range(order)]
        counts[order - 1] = top
        for n in range(order - 1, 0, -1):
            for gram in counts[n]:
                counts[n - 1][gram[1:]] += 1
        self._counts = counts
        self._totals: dict[tuple, list[int]] = {}  # history -> [count, distinct next]
        self._discounts = []
        for table in counts:
            for gram, count in table.items():
                total = self._totals.setdefault(gram[:-1], [0, 0])
                total[0] += count
                total[1] += 1
            values = Counter(table.values())
            ones, twos = values[1], values[2]
            self._discounts.append(ones / (ones + 2 * twos) if ones and twos else 0.5)
        self._uniform = 1.0 / (len(self.vocabulary) + 1)  # + the unknown word
        self._cache: dict[tuple, float] = {}

    def prob(self, history, word: str) -> float:
        """P(word | the last ``order - 1`` words of ``history``)."""
        history = tuple(history[-(self.order - 1) :]) if self.order > 1 else ()
        history = (START,) * (self.order - 1 - len(history)) + history
        return self._prob(history, word)

    def _prob(self, history: tuple, word: str) -> float:
        key = (history, word)
        if key not in self._cache:
            lower = self._prob(history[1:], word) if history else self._uniform
            total, distinct = self._totals.get(history, (0, 0))
            value = lower
            if total:
                seen = self._counts[len(history)].get(history + (word,), 0)
                discount = self._discounts[len(history)]
                value = (max(seen - discount, 0) + discount * distinct * lower) / total
            self._cache[key] = value
        return self._cache[key]

    def log_prob(self, history, word: str) -> float:
        return math.log(self.prob(history, word))


class WordFusedLM:
    """A character model with a word model on top, for ``prefix_beam_search``: the score
    of ``char`` after ``history`` is the character model's, plus ``weight`` times log
    P(word | previous words) when ``char`` (a space, or the end) completes a word."""

    def __init__(self, chars, words: WordNgramLM, weight: float = 0.5, bonus: float = 0.0):
        self.chars, self.words, self.weight, self.bonus = chars, words, weight, bonus
        self.end = chars.end

    def log_prob(self, history: str, char: str) -> float:
        score = self.chars.log_prob(history, char)
        if char in (" ", self.end) and history and history[-1] != " ":
            # the word and the ones before it that the model reads, not the whole history
            *before, word = history.rsplit(maxsplit=self.words.order)[-self.words.order :]
            score += self.weight * self.words.log_prob(before, word) + self.bonus
        return score
