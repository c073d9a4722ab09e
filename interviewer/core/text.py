"""Pure text helpers for grading: sentences and windows with offsets, tokens, stems, noise."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of a text: `text == source[start:end]`."""

    start: int
    end: int
    text: str


def wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS: frozenset[str] = wordset(
    """a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can cannot could did do does doing done down during
    each either etc few for from further had has have having he her here hers him his how
    however i if in into is isn't it its itself just let like may me might more most much must
    my no nor not now of off on once one only or other our ours out over own per rather same she
    should so some such than that the their theirs them then there these they this those though
    through thus to too under until up upon us very via was we were what when where whereas
    whether which while who whom whose why will with within without would yet you your yours"""
)

# Words that make a piece of text state a relation rather than list terms.
RELATION_WORDS: frozenset[str] = STOPWORDS - {"and", "or", "etc", "also", "e.g", "i.e"}

ABBREVIATIONS: frozenset[str] = wordset(
    "e.g i.e etc vs cf al approx fig eq dr mr mrs ms prof st no resp incl esp"
)

_WORD = re.compile(r"[A-Za-z0-9]+(?:[_'’.-][A-Za-z0-9]+)*")
_BULLET = re.compile(r"[ \t]*(?:[-*•·‣▪–]+|\(?\d{1,2}[.)]|\(?[a-zA-Z][.)](?=\s))[ \t]+")
_END = re.compile(r"[.!?]+[\"')\]]*(?=\s|$)")
_BLOB = re.compile(r"[A-Za-z0-9+/=_-]{24,}")
# Words with hyphenated compounds kept whole ("low-rank", "non-static"), and clause punctuation.
_CLAUSE_TOKEN = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*(?:['’][A-Za-z]+)?|[,;:.!?()\[\]—–]")
CLAUSE_PUNCT = frozenset(",;:.!?()[]—–")


def words(text: str) -> list[str]:
    """Lower-cased word tokens (keeps d_k, 3.14, don't, pre-norm together)."""
    return [m.group(0).lower() for m in _WORD.finditer(text)]


def clause_tokens(text: str) -> list[str]:
    """Lower-cased words, a compound one word ("low-rank" names a thing), and the punctuation
    marks that end clauses, in order: what core/polarity and core/direction read."""
    return [t.lower() for t in _CLAUSE_TOKEN.findall(text)]


def word_chunks(text: str, size: int = 1) -> list[str]:
    """Chunks of `size` words (with their spaces) whose concatenation is exactly `text`: the pieces
    feedback is streamed in."""
    pieces = re.findall(r"\s*\S+\s*", text)
    if not pieces:
        return [text] if text else []
    return ["".join(pieces[i: i + size]) for i in range(0, len(pieces), size)]


_RULES = (("ational", "ate"), ("ization", "ize"), ("isation", "ize"), ("iveness", "ive"),
          ("fulness", "ful"), ("ousness", "ous"), ("ies", "y"), ("sses", "ss"))


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A light suffix-stripping stem: enough to match 'layers'/'layer' or 'scaling'/'scaled'.

    Memoised: one grading stems the same few hundred words over and over.
    """
    w = _strip_suffix(word)
    return w[:-1] if len(w) > 4 and w.endswith("e") else w


def _strip_suffix(word: str) -> str:
    w = word.lower().strip("'’.")
    if len(w) <= 3 or not w.isalpha():
        return w
    for suffix, repl in _RULES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 2:
            return w[: -len(suffix)] + repl
    for suffix in ("ingly", "edly", "ing", "ed", "ly", "es", "s"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            if suffix == "s" and w[-2] in "su":
                return w
            if suffix == "es" and w[-3] not in "sxz" and not w.endswith(("ches", "shes")):
                return w[:-1]
            base = w[: -len(suffix)]
            if len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]
            return base
    return w


def content_stems(text: str) -> list[str]:
    """Stems of the non-stopword tokens of a text, in order."""
    return list(_content_stems(text))


@lru_cache(maxsize=1 << 13)
def _content_stems(text: str) -> tuple[str, ...]:
    # memoised: one grading asks for the stems of the same units and statements many times
    return tuple(stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1)


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim whitespace and a leading bullet marker from text[start:end]."""
    m = _BULLET.match(text, start, end)
    if m:
        start = m.end()
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _is_boundary(text: str, start: int, match: re.Match[str]) -> bool:
    """Whether a '.', '!' or '?' run ends a sentence (not an abbreviation or an initial)."""
    if match.group(0)[0] != ".":
        return True
    before = text[start: match.start()].rsplit(None, 1)
    token = before[-1].lower().lstrip("(\"'") if before else ""
    if token in ABBREVIATIONS:
        nxt = text[match.end():].lstrip()
        return token == "etc" and nxt[:1].isupper()
    return not (len(token) == 1 and token.isalpha() and token != "i")


def split_sentences(text: str) -> list[Span]:
    """Sentences with offsets; newlines and bullets also end a sentence."""
    spans: list[Span] = []
    line_start = 0
    for line in text.splitlines(keepends=True):
        line_end = line_start + len(line)
        bullet = _BULLET.match(text, line_start, line_end)
        cursor = bullet.end() if bullet else line_start
        for m in _END.finditer(text, cursor, line_end):
            if _is_boundary(text, cursor, m):
                _add(spans, text, cursor, m.end())
                cursor = m.end()
        _add(spans, text, cursor, line_end)
        line_start = line_end
    return spans


def _add(spans: list[Span], text: str, start: int, end: int) -> None:
    start, end = _strip_span(text, start, end)
    if end > start and any(ch.isalnum() for ch in text[start:end]):
        spans.append(Span(start, end, text[start:end]))


def windows(text: str, sentences: list[Span], size: int) -> list[Span]:
    """Sliding windows of `size` consecutive sentences, as spans of the original text."""
    if size < 2 or len(sentences) < size:
        return []
    out = []
    for i in range(len(sentences) - size + 1):
        start, end = sentences[i].start, sentences[i + size - 1].end
        out.append(Span(start, end, text[start:end]))
    return out


# Words that relate the terms of a formula ('bytes equal 2 times layers times heads').
_MATH_RELATIONS = wordset("times equal equals plus minus divided multiplied squared gives")
# Function words for telling English from a run of terms: stopwords, formula words, prepositions.
_GLUE = _MATH_RELATIONS | wordset(
    "across along among around beyond inside outside toward towards onto unlike versus like per"
)
# A sentence that only announces a list ('The key ideas are ...', 'Keywords:', 'This involves').
_LIST_FRAME = re.compile(
    r"^\W*(?:(?:so|well|basically|in short),?\s+)?(?:(?:the|my|some|a few)\s+)?"
    r"(?:(?:key|main|important|relevant|core|central|basic|major)\s+)?"
    r"(?:(?P<terms>ideas?|concepts?|terms?|keywords?|key\s?words?|topics?|numbers?|names?|figures?)"
    r"|points?|factors?|aspects?|things?|components?|elements?|notions?|quantities)"
    r"(?:\s+and\s+(?:numbers?|names?|figures?|terms?|ideas?|concepts?))?"
    r"\s+(?:(?:that|which)\s+matters?\s+)?(?:here\s+|involved\s+)?"
    r"(?:are|is|include|includes|involve|involves|would be)\b:?"
    r"|^\W*(?:this|it|that|the answer|the question)\s+(?:involves|includes|is about|covers|concerns"
    r"|relates to|comes down to|is (?:all |really |a question |mostly )?about)\b:?"
    r"|^[^:]{0,40}:",
    re.IGNORECASE,
)
# (words, share): a run of at least `words` words without commas whose share of function words is
# at most `share` is a term dump, not English. In the bank's comma-free sample sentences and
# statements the lowest share is 0.18 (23 words) and then 0.22; terse student answers in the ASAG
# data go down to 0.14 at 7-8 words; the rubrics' key terms joined by spaces reach 0.26.
DENSE_LIST_WORDS = ((6, 0.1), (12, 0.17))
# Words that make a short sentence a statement rather than a noun phrase ('Softmax.', 'Rank.').
VERBISH = wordset(
    "is are was were be been being has have had do does did can cannot could will would should "
    "must may might shall because so if when than then while whereas therefore thus")
# A longer comma-free run with none of them and few function words is a term dump too: 6 of the
# 4,201 sentences of the bank, the interview sets and ASAG dev pass it (4 are ASAG answers that are
# lists), and 12 of the 15 bank key-term runs the share rule missed (docs/grading.md).
VERBLESS_LIST = (15, 0.24)
_LIST_SPLIT = re.compile(r"[,;/|\n]|->|=>|→|\band\b|\bor\b")


def is_term_list(text: str) -> bool:
    """True for a bare list of terms ('variance, softmax, gradient'): no relation is stated.

    Also a run of terms without function words ('variance softmax gradient saturation scaling'),
    and terms announced by a frame that states nothing ('The key ideas are variance, softmax and
    scaling.'; one or two of them, verbless: 'The number that matters here is 13-gram.')."""
    toks = words(text)
    if not toks:
        return True
    if len(toks) >= DENSE_LIST_WORDS[0][0] and not re.search(r"[,;]", text):
        share = sum(1 for t in toks if t in STOPWORDS or t in _GLUE) / len(toks)
        if any(len(toks) >= n and share <= most for n, most in DENSE_LIST_WORDS):
            return True
        n, most = VERBLESS_LIST
        if len(toks) >= n and share <= most and not any(t in VERBISH for t in toks):
            return True
    frame = _LIST_FRAME.match(text)
    rest = text[frame.end():] if frame else ""
    if frame and 0 < len(words(rest)) < 3 and frame.group("terms") and VERBISH.isdisjoint(words(rest)):
        return True
    if frame and len(words(rest)) >= 3:
        sizes = [len(words(p)) for p in _LIST_SPLIT.split(rest) if p.strip()]
        # After an announcing frame, three or more short phrases are the list it announced.
        if len(sizes) >= 3 and max(sizes) <= 5 and sum(sizes) / len(sizes) <= 3.5:
            return True
        if _is_plain_list(rest):
            return True
    return _is_plain_list(text)


def _is_plain_list(text: str) -> bool:
    toks = words(text)
    if not toks:
        return True
    relation = sum(1 for t in toks if t in RELATION_WORDS or t in _MATH_RELATIONS)
    pieces = [p for p in _LIST_SPLIT.split(text) if p.strip()]
    sizes = [len(words(p)) for p in pieces]
    # A long run of short phrases ('sum of d_k terms, one-hot, rises and then falls, ...') lists
    # terms even when some phrases contain a preposition.
    if len(pieces) >= 5 and max(sizes) <= 5 and sum(sizes) / len(sizes) <= 3.0:
        return True
    if len(pieces) >= 3 and max(sizes) <= 3:
        return relation <= 1
    return relation == 0 and len(toks) >= 3


def is_relational(text: str) -> bool:
    """True when a text states a relation (a sentence, not a noun phrase or a term list)."""
    toks = words(text)
    return len(toks) >= 5 and not is_term_list(text)


# Letter pairs seen in ordinary English; keyboard mashing ('asdf', 'zxcv') is mostly other pairs.
_ENGLISH_SAMPLE = (
    "the quick brown fox jumps over the lazy dog while attention layers compute weighted sums "
    "of value vectors using query and key similarity scaled by the square root of dimension "
    "training large language models requires data parallel optimisation gradient descent with "
    "learning rate schedules warmup normalisation residual connections tokenization vocabulary "
    "byte pair encoding merges frequent symbol pairs inference caches keys values to avoid "
    "recomputation alignment uses human feedback reward models policy optimisation proximal "
    "variance softmax probability distribution embedding position rotary sinusoidal memory "
    "bandwidth throughput latency batch sequence length quantization precision floating point "
    "function pointer array variable constructor object class member recursion iteration "
    "loop statement compiler program software testing design specification prototype "
    "address operand reference string character insertion selection merge sort element "
    "knowledge which where when why how because should would could might system everything "
    "exactly always never often group judge bridge jazz quiz awkward psychology rhythm "
    "twelfth strengths width depth height breadth length eighth sixth"
)
ENGLISH_BIGRAMS: frozenset[str] = frozenset(
    w[i: i + 2] for w in _ENGLISH_SAMPLE.split() for i in range(len(w) - 1)
)
_VOWELS = set("aeiouy")


def is_wordlike(token: str) -> bool:
    """Whether a token looks like an English or technical word rather than random letters."""
    t = token.lower()
    if not t.isalpha() or len(t) <= 3:
        return True
    if not _VOWELS & set(t) or re.search(r"[^aeiouy]{5,}|(.)\1\1", t):
        return False
    pairs = [t[i: i + 2] for i in range(len(t) - 1)]
    return sum(p in ENGLISH_BIGRAMS for p in pairs) / len(pairs) >= 0.75


def is_non_text(text: str) -> bool:
    """True for text without language: punctuation, digits, emoji or encoded blobs."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return True
    letters = sum(c.isalpha() and c.isascii() for c in chars)
    if letters / len(chars) < 0.5:
        return True
    blob = sum(len(m.group(0)) for m in _BLOB.finditer(text) if _looks_encoded(m.group(0)))
    return blob / len(chars) > 0.5


def _looks_encoded(token: str) -> bool:
    """A long token mixing cases and digits, as base64 or hex dumps do."""
    kinds = sum((any(c.isupper() for c in token), any(c.islower() for c in token),
                 any(c.isdigit() for c in token), any(c in "+/=" for c in token)))
    return kinds >= 3 or (kinds >= 2 and len(token) >= 40)


def is_gibberish(text: str) -> bool:
    """True when most words are random letters and the text uses no ordinary function words."""
    toks = [t for t in words(text) if t.isalpha()]
    if not toks:
        return True
    if any(t in STOPWORDS for t in toks) and len(toks) >= 3:
        return sum(not is_wordlike(t) for t in toks) / len(toks) > 0.6
    long = [t for t in toks if len(t) >= 3]
    if not long:
        return len(toks) < 2
    return sum(not is_wordlike(t) for t in long) / len(long) >= 0.5


def no_language(text: str) -> str:
    """Why a text carries no gradable language ('' when it does)."""
    if not text.strip():
        return "The answer is empty."
    if is_non_text(text):
        return "The answer contains no words (only symbols, digits, emoji or encoded data)."
    if is_gibberish(text):
        return "The answer is not readable text (random letters)."
    return ""


def overlaps(start: int, end: int, ranges: Iterable[tuple[int, int]]) -> bool:
    """Whether the character range [start, end) shares a character with any of `ranges`."""
    return any(a < end and start < b for a, b in ranges)
