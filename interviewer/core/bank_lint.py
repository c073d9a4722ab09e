"""Review checks on a question bank's content (`interviewer bank lint`), beyond schema validity.

Pure: questions in, findings out. Duplicate coverage needs sentence embeddings, asked of the
`Encoder` port; everything else is text rules. Levels: an `error` breaks a rubric-design rule
(a key term that is a name or a figure makes citing it required; a practice list that names a
question not in the bank, the criterion's own question, one twice or more than three); a
`warning` asks a reviewer to look (bundled criteria, overlapping questions, skewed tags or
difficulty mix).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from interviewer.core.models import COMPANIES, Difficulty, Question
from interviewer.core.ports import Encoder

Level = Literal["error", "warning"]

# Cosine similarity (all-MiniLM-L6-v2, L2-normalised) above which two criteria of different
# questions are reported as covering the same fact.
DUPLICATE_SIMILARITY = 0.7
BUNDLE_KEY_TERMS = 5  # a criterion that needs this many key terms bundles several facts
BUNDLE_WORDS = 55  # ... or whose statement runs this long
BUNDLE_ITEMS = 8  # ... or lists this many parts (split at commas, semicolons, 'and', 'or')
_ANY_OF = re.compile(r"\b(any|at least) (two|three)\b", re.IGNORECASE)
_ITEM_SEP = re.compile(r",|;|\band\b|\bor\b")
COMPANY_SHARE = 0.6  # a company on more than this share of an area's questions is a stereotype
MIN_AREA_FOR_MIX = 6  # areas smaller than this are not checked for tag or difficulty mix
DIFFICULTY_SHARE = (0.15, 0.6)  # each difficulty's share of an area must lie in this range

# Capitalised words that name a mechanism or a language, not a source one could cite.
COMMON_CAPITALISED = frozenset({
    "adam", "jacobian", "viterbi", "jaccard", "minhash", "goodhart", "bradley", "terry",
    "transformer", "unicode", "softmax", "normalfloat", "isoflop", "english", "korean", "latin",
    "chinese", "japanese", "hindi", "arabic", "cyrillic",
})
_NUMBER_WORDS = frozenset({
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "twenty", "hundred", "thousand", "million", "billion", "trillion", "half", "percent",
})
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)*(?:e[+-]?\d+)?[kmbt]?$")
_ACRONYM = re.compile(r"^[A-Z0-9-]+s?$")  # 'KV', 'FLOPs', 'GPT-4'
_PUNCT = ",.;:()'\""
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+]*")
MAX_PRACTICE = 3  # hand-picked practice questions per criterion (the summary shows two)


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    code: str
    where: str  # `question-id` or `question-id/criterion-id` or `area`
    message: str

    def line(self) -> str:
        return f"{self.level}: {self.code}: {self.where}: {self.message}"


def is_figure(term: str) -> bool:
    """A number, a quantity or a multiplier ('33 gb', '4e17', 'eightfold', '40 percent')."""
    toks = [t.strip(_PUNCT).lower() for t in term.split()]
    return any(_NUMBER.match(t) or t in _NUMBER_WORDS or t.endswith("fold") for t in toks)


def casing(questions: Sequence[Question]) -> dict[str, bool]:
    """Per lower-cased word of the bank's prose: True when it is only ever written capitalised.

    An acronym ('KV', 'FLOPs') counts as not capitalised; a word seen once in lower case anywhere
    ('Raters' at a sentence start, 'raters' elsewhere) is a common word.
    """
    seen: dict[str, bool] = {}
    for q in questions:
        texts = [q.text, q.sample_answer]
        if q.rubric is not None:
            texts += [c.statement for c in q.rubric.criteria]
        for text in texts:
            for w in _WORD.findall(text):
                key = w.lower()
                capital = w != key and not _ACRONYM.match(w)
                seen[key] = seen.get(key, True) and capital
    return seen


def is_name(term: str, question: Question, capitalised: dict[str, bool]) -> bool:
    """A proper name (author, model, paper, benchmark) the question itself does not mention.

    Names are recognised by how the bank writes them: always with a capital ('Kaplan', 'PaLM',
    'GSM1k'), never as an all-capital acronym ('KV'); mechanisms named after people and
    languages (`COMMON_CAPITALISED`) are not names for this check.
    """
    if term.lower() in question.text.lower():
        return False
    return any(len(w) > 1 and w.lower() not in COMMON_CAPITALISED and capitalised.get(w.lower(), False)
               for w in _WORD.findall(term))


def key_term_findings(q: Question, capitalised: dict[str, bool]) -> list[Finding]:
    out: list[Finding] = []
    if q.rubric is None:
        return out
    for c in q.rubric.criteria:
        for t in c.key_terms:
            if is_figure(t):
                out.append(Finding("error", "figure-key-term", f"{q.id}/{c.id}",
                                   f"key term {t!r} is a figure; name the mechanism instead"))
            elif is_name(t, q, capitalised):
                out.append(Finding("error", "name-key-term", f"{q.id}/{c.id}",
                                   f"key term {t!r} is a name; name the mechanism instead"))
    return out


def bundle_findings(q: Question) -> list[Finding]:
    out: list[Finding] = []
    if q.rubric is None:
        return out
    for c in q.rubric.criteria:
        if _ANY_OF.search(c.statement):  # 'states any two of ...': a list is the point
            continue
        words = len(c.statement.split())
        items = 1 + len(_ITEM_SEP.findall(c.statement))
        if len(c.key_terms) >= BUNDLE_KEY_TERMS or words >= BUNDLE_WORDS or items >= BUNDLE_ITEMS:
            out.append(Finding(
                "warning", "bundled-criterion", f"{q.id}/{c.id}",
                f"{len(c.key_terms)} key terms, {words} words, {items} listed parts: split it or "
                "state that any two of its parts suffice"))
    return out


def practice_findings(q: Question, known: frozenset[str]) -> list[Finding]:
    """A criterion's hand-picked practice list: ids of other bank questions, each once, at most
    MAX_PRACTICE (a wrong id would silently fall back to the ranker)."""
    out: list[Finding] = []
    for c in q.rubric.criteria if q.rubric else ():
        where = f"{q.id}/{c.id}"
        if len(c.practice) > MAX_PRACTICE:
            out.append(Finding("error", "practice-too-many", where,
                               f"{len(c.practice)} practice questions; keep the best {MAX_PRACTICE}"))
        for qid, n in Counter(c.practice).items():
            if n > 1:
                out.append(Finding("error", "practice-duplicate", where,
                                   f"practice question '{qid}' is listed {n} times"))
        for qid in dict.fromkeys(c.practice):
            if qid == q.id:
                out.append(Finding("error", "practice-own-question", where,
                                   f"practice question '{qid}' is the criterion's own question"))
            elif qid not in known:
                out.append(Finding("error", "practice-unknown", where,
                                   f"practice question '{qid}' is not in the bank"))
    return out


def duplicate_findings(
    questions: Sequence[Question], encoder: Encoder, threshold: float = DUPLICATE_SIMILARITY
) -> list[Finding]:
    """Pairs of criteria of different questions whose statements say nearly the same thing."""
    owners = [(q.id, c) for q in questions if q.rubric for c in q.rubric.criteria]
    if len(owners) < 2:
        return []
    vecs = np.asarray(encoder.encode([c.statement for _, c in owners]), dtype=np.float32)
    sims = vecs @ vecs.T
    out: list[Finding] = []
    for i, j in zip(*np.nonzero(np.triu(sims, k=1) >= threshold), strict=True):
        (qa, ca), (qb, cb) = owners[int(i)], owners[int(j)]
        if qa != qb:
            out.append(Finding("warning", "duplicate-coverage", f"{qa}/{ca.id}",
                               f"covers the same fact as {qb}/{cb.id} (similarity "
                               f"{float(sims[i, j]):.2f} >= {threshold:.2f})"))
    return out


def mix_findings(questions: Sequence[Question]) -> list[Finding]:
    """Company tags and difficulty labels per area, and every company somewhere in the bank."""
    by_area: dict[str, list[Question]] = defaultdict(list)
    for q in questions:
        by_area[q.area].append(q)
    out: list[Finding] = []
    for area, qs in sorted(by_area.items()):
        if len(qs) < MIN_AREA_FOR_MIX:
            continue
        tags = Counter(c for q in qs for c in q.companies)
        for company, n in sorted(tags.items()):
            if n / len(qs) > COMPANY_SHARE:
                out.append(Finding("warning", "company-skew", area,
                                   f"{company} is tagged on {n} of {len(qs)} questions "
                                   f"(more than {COMPANY_SHARE:.0%}); tag by each company's public work"))
        levels = Counter(q.difficulty for q in qs)
        lo, hi = DIFFICULTY_SHARE
        for d in Difficulty:
            share = levels.get(d, 0) / len(qs)
            if not lo <= share <= hi:
                out.append(Finding("warning", "difficulty-mix", area,
                                   f"{levels.get(d, 0)} of {len(qs)} questions are {d.value} "
                                   f"(expected {lo:.0%}-{hi:.0%})"))
    if len(questions) >= MIN_AREA_FOR_MIX * len(COMPANIES):
        tagged = Counter(c for q in questions for c in q.companies)
        for company in COMPANIES:
            if tagged.get(company, 0) < MIN_AREA_FOR_MIX:
                out.append(Finding("warning", "company-skew", "bank",
                                   f"{company} is tagged on only {tagged.get(company, 0)} questions"))
    return out


def lint(questions: Sequence[Question], encoder: Encoder | None,
         threshold: float = DUPLICATE_SIMILARITY) -> list[Finding]:
    """Every finding for the bank; without an encoder, duplicate coverage is not checked."""
    out: list[Finding] = []
    capitalised = casing(questions)
    known = frozenset(q.id for q in questions)
    for q in questions:
        out += key_term_findings(q, capitalised) + bundle_findings(q) + practice_findings(q, known)
    if encoder is not None:
        out += duplicate_findings(questions, encoder, threshold)
    out += mix_findings(questions)
    return sorted(out, key=lambda f: (f.level != "error", f.code, f.where))
