"""Polarity: does a sentence negate what a claim asserts, in the claim's own words?

The claim verifier (a cross-encoder fine-tuned from MiniLM) reads "Retrieval quality cannot be
measured separately from generation" as asserting "Retrieval should be measured separately from
generation" (0.99): it barely sees a negation that leaves the other words in place (87.6 % of the
contrast data's negations read as assertions; docs/grading.md, "Sixteenth session"). This module
finds that case by its words alone, so that the judge can read the pair as a contradiction:

a negation cue ("not", "n't", "cannot", "never", "nor") in one text scopes the content words
that follow it in its clause; when two of those words occur in the other text outside any
negation's scope (including the softer "without", "instead of", "rather than", "unlike"), the two
texts give the same predicate opposite polarities.

Deliberately narrow: hedges ("not always", "not necessarily", "not only", "not all"),
conditions and relative clauses ("if it is not declared static"), purposes ("to not forget") and
contrasts ("not X but Y") are not cues, a scope stops at clause punctuation and conjunctions, a
denial's subject must be the other text's too, and a sentence that negates a
*different* predicate ("Top-p does not keep a fixed number of tokens" against "Top-p keeps the
smallest set ...": one word of three shared) is not a conflict.
"""

from __future__ import annotations

from functools import lru_cache

from interviewer.core.direction import direction_conflict
from interviewer.core.text import CLAUSE_PUNCT, STOPWORDS, clause_tokens, stem, wordset

# Words that negate the predicate that follows them in their clause.
_CUES = wordset("not never cannot nor neither")
# Words that set what follows them aside without denying it outright ("A instead of B", "A
# without B", "A replaces B" say much the same): what they scope is not counted as stated, but
# they make no conflict of their own.
# "no", "none" and "nothing" deny that a thing exists ("there is no reward model to drift") far
# more often than they deny the claim's predicate: soft too.
_SOFT = wordset("no none nothing without unlike except barely hardly rarely seldom")
_SOFT_STEMS = wordset("avoid lack stop prevent hid omit skip replac eliminat remov drop fail")
_PAIR_SOFT = {("instead", "of"), ("rather", "than")}
# After "not" these hedge or limit rather than negate ("not always", "not only ... but", "I am
# not sure whether ...").
_HEDGES = wordset("always necessarily only just all every entirely exactly quite merely simply "
                  "much many too very fully completely strictly sure certain clear convinced yet")
# A clause opened by these qualifies a thing or states a condition ("an array that is not ...").
_QUALIFIERS = wordset("if when unless whenever once that which who whom whose where")
# "not the X but the Y", "not on X but on Y", "not because X but because Y": a contrast that
# denies one reading to assert another, seldom the claim's own predicate.
_CONTRASTIVE = wordset("the a an on in by for from to at of with because as about")
# A scope ends at a clause boundary.
_STOPS = wordset("but and or because so since while whereas which who that although though "
                 "however yet instead rather unless if when where whereby thus hence therefore")
# Adverbs that do not carry the negated predicate ("does not really help": "help").
_LIGHT = wordset("really actually even still")
SCOPE_WORDS = 3  # content words a cue scopes
MIN_SHARED = 2  # of them the other text must state without a negation ("but not memory" is too
# little to tell which predicate is denied)

_SENTENCE_END = frozenset(".!?")
# A claim under a condition ("If a constructor is defined, the compiler does not create one")
# is not denied by the unconditional statement, nor the other way round.
_CONDITIONS = wordset("if unless whenever")


def _negates(tok: str) -> bool:
    return tok in _CUES or tok.endswith(("n't", "n’t"))


def _content(tok: str) -> bool:
    return tok not in STOPWORDS and tok not in _LIGHT and tok not in CLAUSE_PUNCT and len(tok) > 1


# (the first content stems a negation scopes, the subject before it in its clause)
_Scope = tuple[tuple[str, ...], tuple[str, ...]]


def _clause_before(toks: list[str], cue: int) -> tuple[tuple[str, ...], str]:
    """Content stems before a cue in its clause, nearest first ("*gradient clipping* is never
    needed"), and the word that opens the clause ("" at the start of the text or after
    punctuation)."""
    out: list[str] = []
    k = cue - 1
    while k >= 0:
        w = toks[k]
        if w in CLAUSE_PUNCT:
            return tuple(out), ""
        if w in _STOPS:
            return tuple(out), w
        if len(out) < SCOPE_WORDS and _content(w) and not _negates(w):
            out.append(stem(w))
        k -= 1
    return tuple(out), ""


def _conditional(toks: list[str], cue: int) -> bool:
    """Whether the cue's sentence puts a condition before it."""
    k = cue - 1
    while k >= 0 and toks[k] not in _SENTENCE_END:
        if toks[k] in _CONDITIONS:
            return True
        k -= 1
    return False


@lru_cache(maxsize=1 << 13)
def _read(text: str) -> tuple[tuple[_Scope, ...], frozenset[str], frozenset[str]]:
    """The content stems each negation scopes (with the subject before it in its clause), the
    stems the text states un-negated and those it negates (softly or not)."""
    toks = clause_tokens(text)  # "non-static" stays one word: another thing than "static"
    scopes: list[_Scope] = []
    negated: set[int] = set()
    i = 0
    while i < len(toks):
        t = toks[i]
        start, hard = -1, True
        after = toks[i + 1] if i + 1 < len(toks) else ""
        if _negates(t):
            # a hedge or a contrast still sets its words aside, but denies no predicate
            start, hard = i + 1, after not in _HEDGES and not (t == "not" and after in _CONTRASTIVE)
        elif t in _SOFT or (t.isalpha() and stem(t) in _SOFT_STEMS):
            start, hard = i + 1, False
        elif (t, after) in _PAIR_SOFT:
            start, hard = i + 2, False
        if start < 0:
            i += 1
            continue
        scope: list[str] = []
        j, listed = start, False
        while j < len(toks):  # to the end of the clause; the scope is its first content words
            w = toks[j]
            if w in ("and", "or") and j > start:
                listed = True  # "avoid shift and forgetting": the denial covers the list ...
            elif w in CLAUSE_PUNCT or (w in _STOPS and j > start) or _negates(w) or w in _SOFT:
                break
            negated.add(j)
            if not listed and len(scope) < SCOPE_WORDS and _content(w):
                scope.append(stem(w))  # ... but the predicate it denies is the first item
            j += 1
        contrast = j < len(toks) and toks[j] == "but"  # "is not an algorithm but a library"
        subject, opener = _clause_before(toks, i)
        # A condition or a relative clause ("if you do not declare it static", "an array that is
        # not declared static") qualifies a thing rather than denying the claim; a clause that
        # opens with a conjunction and has no subject of its own ("..., but does not create an
        # object") borrows one we cannot see; a text that opens with "Not" names a case ("Not
        # having a base case").
        qualified = opener in _QUALIFIERS or (not subject and opener != "") or (t == "not" and i == 0)
        qualified = qualified or _conditional(toks, i)
        # a purpose ("mix in web data to not forget", "so as not to forget") is a goal, not a denial
        qualified = qualified or (t == "not" and "to" in (after, toks[i - 1] if i else ""))
        if hard and scope and not contrast and not qualified:
            scopes.append((tuple(scope), subject))
        i = max(j, i + 1)
    content = [(k, stem(w)) for k, w in enumerate(toks)
               if w not in CLAUSE_PUNCT and w not in STOPWORDS and len(w) > 1]
    plain = frozenset(s for k, s in content if k not in negated)
    denied = frozenset(s for k, s in content if k in negated)
    return tuple(scopes), plain, denied


def _one_way(negating: str, other: str) -> bool:
    """`negating` denies, in one scope, a predicate `other` states: the scope's head (its first
    content word: "cannot be *measured* separately") and one more of its words (of its subject,
    for a one-word scope) are stated by `other`, which negates none of them ("adds capacity but
    not lower latency, whereas TP lowers latency" against "PP adds capacity but not lower
    latency" agrees)."""
    scopes = _read(negating)[0]
    _, stated, denied = _read(other)
    for scope, subject in scopes:
        words = list(dict.fromkeys(scope))
        if words[0] not in stated or any(w in denied for w in words):
            continue
        if subject and not any(w in stated for w in subject):
            continue  # about something else ("ALiBi does not use ..." against a claim about RoPE)
        if len(words) > 1:
            if sum(w in stated for w in words) >= MIN_SHARED:
                return True
        # a one-word predicate ("is never *needed*") needs its whole subject stated too ("a
        # non-static array is not initialised" does not deny "static arrays are initialised")
        elif subject and all(w in stated for w in subject):
            return True
    return False


def negation_conflict(claim: str, sentence: str) -> bool:
    """True when one text negates a predicate the other states, in the same words."""
    return _one_way(sentence, claim) or _one_way(claim, sentence)


def polarity_conflict(claim: str, sentence: str) -> bool:
    """True when one text negates a predicate the other states, or states its opposite direction
    (core/direction.py), in the same words: what the claim verifier reads as an assertion."""
    return negation_conflict(claim, sentence) or direction_conflict(claim, sentence)
