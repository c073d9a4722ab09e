"""Direction: does a sentence state the opposite direction of a claim, in the claim's own words?

The claim verifier reads "GQA increases the KV cache size" as asserting "GQA reduces the KV cache
size" (0.98), and "a temperature above 1 sharpens the distribution" as asserting "... flattens
the distribution" (0.99): like a negation (core/polarity.py), a swapped direction that keeps the
other words in place is nearly invisible to it. This module finds it by the words: two clauses
that share two content words or more and both say which way something goes (up: increases,
raises, larger, more, faster, above, sharpens, ...; down: reduces, lowers, smaller, fewer,
slower, below, flattens, ...) disagree when their directions multiply to opposite signs.
Multiplying makes "larger chunks lower precision" agree with "smaller chunks raise precision" and
"T below 1 sharpens" with "T above 1 flattens".

A condition said twice ("raising the temperature above one") counts as two flips, so "raising
it above one flattens" and "lowering it below one sharpens" read as a conflict: a known miss.

Left out on purpose: a clause with a negation (core/polarity.py reads it), a comparison with
"than" or "versus" ("A is faster than B" and "B is slower than A" agree), and order words
(before/after, first/last), which paraphrases swap with their arguments.
"""

from __future__ import annotations

import math
from functools import lru_cache

from interviewer.core.text import CLAUSE_PUNCT, STOPWORDS, clause_tokens, stem, wordset

_UP_WORDS = wordset(
    """increase increases increased increasing raise raises raised raising grow grows grew grown
    growing rise rises rising rose higher larger bigger greater more boost boosts boosted expand
    expands expanded amplify amplifies amplified sharpen sharpens sharpened sharper faster above
    maximum longer wider deeper denser""")
_DOWN_WORDS = wordset(
    """decrease decreases decreased decreasing reduce reduces reduced reducing lower lowers lowered
    lowering shrink shrinks shrank shrunk shrinking fall falls fell falling drop drops dropped
    cut cuts cutting smaller fewer less diminish diminishes diminished flatten flattens flattened
    flatter slower below minimum shorter narrower shallower sparser""")
# Not "improves" or "degrades" (a loss that improves falls), nor "large", "long", "high", "low"
# ("a large gradient", "for a long time", "long prompts": most name a thing, not a direction).
_UP = frozenset(stem(w) for w in _UP_WORDS)
_DOWN = frozenset(stem(w) for w in _DOWN_WORDS)
_SKIP = wordset("not never cannot nor neither no without than versus vs compared unlike instead rather")
_BOUNDARY = wordset("but and or because so since while whereas which that although though however "
                    "if when unless whereby thus hence therefore")
MIN_SHARED = 2  # content words two clauses share besides their direction words



# (sign, neighbours) of one direction word: +1 up, -1 down; the content stems next to it
_Word = tuple[int, frozenset[str]]


@lru_cache(maxsize=1 << 13)
def _clauses(text: str) -> tuple[tuple[tuple[_Word, ...], frozenset[str]], ...]:
    """Each clause that states a direction: its direction words, with the content stems next to
    each, and its other content stems."""
    out: list[tuple[tuple[_Word, ...], frozenset[str]]] = []
    words: list[str] = []

    def close() -> None:
        if not words or any(w in _SKIP or w.endswith(("n't", "n’t")) for w in words):
            words.clear()
            return
        stems = [stem(w) if (w not in STOPWORDS or w in _UP_WORDS or w in _DOWN_WORDS) and len(w) > 1 else ""
                 for w in words]
        found: list[_Word] = []
        for i, st in enumerate(stems):
            if st in _UP or st in _DOWN:
                # what it applies to: the next content word ("*reduces* the KV cache", "*fewer*
                # epochs"), else the one before ("the stream *grows*")
                after = next((x for x in stems[i + 1:] if x), "")
                if not after or after in _UP or after in _DOWN:
                    after = next((x for x in reversed(stems[:i]) if x), "")
                plain = after and after not in _UP and after not in _DOWN
                near = frozenset((after,)) if plain else frozenset()
                found.append((1 if st in _UP else -1, near))
        if found:
            rest = frozenset(x for x in stems if x and x not in _UP and x not in _DOWN)
            out.append((tuple(found), rest))
        words.clear()

    for tok in clause_tokens(text):  # "low-rank", "long-context" stay one word: things, not directions
        if tok in CLAUSE_PUNCT or tok in _BOUNDARY:
            close()
        else:
            words.append(tok)
    close()
    return tuple(out)


def direction_conflict(claim: str, sentence: str) -> bool:
    """True when a clause of one text states the opposite direction of a clause of the other
    about the same things: the clauses share two content words or more, and the direction words
    of each that share a neighbour with one of the other's ("*reduces* the KV cache" /
    "*increases* the KV cache") multiply to opposite signs."""
    theirs = _clauses(claim)
    for mine, rest in _clauses(sentence):
        for other, other_rest in theirs:
            if len(rest & other_rest) < MIN_SHARED:
                continue
            # The direction words of each that apply to the same word as one of the other's
            # disagree, and so do the two clauses as wholes ("T *below* 1 *sharpens* it" agrees
            # with "it *flattens*" once "below" counts).
            a = [sign for sign, near in mine if any(near & n for _, n in other)]
            b = [sign for sign, near in other if any(near & n for _, n in mine)]
            if (a and b and math.prod(a) != math.prod(b)
                    and math.prod(x for x, _ in mine) != math.prod(x for x, _ in other)):
                return True
    return False
