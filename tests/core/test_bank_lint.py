"""The bank lint's rules on small hand-made questions (duplicate coverage with the real encoder)."""

from __future__ import annotations

from typing import Any

from interviewer.core.bank_lint import (
    DUPLICATE_SIMILARITY,
    bundle_findings,
    casing,
    is_figure,
    key_term_findings,
    lint,
    mix_findings,
    practice_findings,
)
from interviewer.core.models import Criterion, Difficulty, Question, Rubric

ANSWER = ("Kaplan and colleagues fitted power laws. Chinchilla later found that parameters and tokens "
          "should grow together; the irreducible loss stays. Schaeffer argued about metrics. The KV "
          "cache and FLOPs matter; raters prefer length.")


def crit(cid: str, statement: str, terms: tuple[str, ...] = ("power law",), weight: float = 1.0,
         practice: tuple[str, ...] = ()) -> Criterion:
    return Criterion(cid, cid, statement, weight, key_terms=terms, practice=practice)


def question(qid: str, *criteria: Criterion, area: str = "scaling", difficulty: str = "medium",
             companies: tuple[str, ...] = ("OpenAI",), text: str = "How should compute be allocated?",
             answer: str = ANSWER) -> Question:
    return Question(id=qid, text=text, area=area, difficulty=Difficulty(difficulty), companies=companies,
                    sample_answer=answer, rubric=Rubric(qid, 1, tuple(criteria)))


def codes(findings: list[Any]) -> list[tuple[str, str]]:
    return [(f.code, f.message.split("'")[1] if "'" in f.message else "") for f in findings]


def test_figures_are_numbers_quantities_and_multipliers() -> None:
    for term in ("33 gb", "0.37 bits", "4e17", "90b", "1.8t", "eightfold", "40 percent", "two orders",
                 "'989'", "327,680 bytes"):
        assert is_figure(term), term
    for term in ("fp16", "utf-8", "bf16 range", "kv cache", "nf4", "top k", "one over width"):
        assert not is_figure(term), term


def test_name_and_figure_key_terms_are_errors() -> None:
    q = question("q", crit("c", "Parameters and tokens grow together.",
                           ("kaplan", "schaeffer", "33 gb", "irreducible loss", "kv cache", "flops")))
    found = key_term_findings(q, casing([q]))
    assert {f.level for f in found} == {"error"}
    assert sorted(codes(found)) == [("figure-key-term", "33 gb"), ("name-key-term", "kaplan"),
                                    ("name-key-term", "schaeffer")]


def test_a_name_the_question_asks_about_and_common_words_at_sentence_start_pass() -> None:
    # 'Chinchilla' is in the question text; 'Raters' starts no sentence here but 'raters' is lower
    # case elsewhere in the bank; 'Adam' names a mechanism.
    q = question("q", crit("c", "Raters and Adam matter.", ("chinchilla", "raters", "adam")),
                 text="What did Chinchilla change about allocation?", answer=ANSWER + " Adam helps.")
    other = question("o", crit("c", "Some raters prefer long answers."))
    assert key_term_findings(q, casing([q, other])) == []


def test_bundled_criteria_are_warned_unless_any_two_suffice() -> None:
    long = crit("long", "Use a KL budget, a KL penalty, reward ensembles, fresh on-policy data, "
                        "verifiable rewards and early stopping, or gold checks.")
    anytwo = crit("any", "Use at least two of: a KL budget, a KL penalty, reward ensembles, fresh "
                         "on-policy data, verifiable rewards and early stopping, or gold checks.")
    many_terms = crit("terms", "A router balances load.", ("a", "b", "c", "d", "e"))
    short = crit("short", "The router picks the top k experts per token.")
    found = bundle_findings(question("q", long, anytwo, many_terms, short))
    assert [(f.level, f.where) for f in found] == [("warning", "q/long"), ("warning", "q/terms")]


def test_company_skew_and_difficulty_mix_per_area() -> None:
    qs = [question(f"q{i}", crit("c", "x y z."), companies=("Nvidia", "Meta") if i < 5 else ("Meta",),
                   difficulty="medium" if i else "hard")
          for i in range(6)]
    found = mix_findings(qs)
    lines = {(f.code, f.message.split(" ")[0]) for f in found}
    assert ("company-skew", "Nvidia") in lines and ("company-skew", "Meta") in lines
    assert ("difficulty-mix", "0") in lines  # no easy question
    assert all(f.level == "warning" for f in found)
    balanced = [question(f"q{i}", crit("c", "x y z."), companies=(("Nvidia",), ("Meta",), ("OpenAI",))[i % 3],
                         difficulty=("easy", "medium", "hard")[i % 3]) for i in range(6)]
    assert mix_findings(balanced) == []


def test_duplicate_coverage_across_questions(encoder: Any) -> None:
    a = question("a", crit("gqa", "Grouped-query attention lets groups of query heads share one key and "
                                  "value head, shrinking the KV cache by the group size."))
    b = question("b", crit("gqa", "In grouped-query attention several query heads share a single key and "
                                  "value head, so the KV cache shrinks by the size of each group."))
    c = question("c", crit("bpe", "BPE training merges the most frequent adjacent pair of symbols until "
                                  "the vocabulary reaches its target size."))
    found = [f for f in lint([a, b, c], encoder) if f.code == "duplicate-coverage"]
    assert [(f.where, f.level) for f in found] == [("a/gqa", "warning")]
    assert "b/gqa" in found[0].message and f">= {DUPLICATE_SIMILARITY:.2f}" in found[0].message
    assert not [f for f in lint([a, c], encoder) if f.code == "duplicate-coverage"]


def test_practice_lists_name_other_bank_questions_once_and_at_most_three() -> None:
    good = crit("good", "Parameters and tokens grow together.", practice=("b", "c"))
    own = crit("own", "Tokens matter.", practice=("a", "b"))
    unknown = crit("unknown", "Loss is a power law.", practice=("b", "nope"))
    twice = crit("twice", "Compute is 6ND.", practice=("b", "c", "b"))
    many = crit("many", "Irreducible loss stays.", practice=("b", "c", "d", "e"))
    a = question("a", good, own, unknown, twice, many)
    known = frozenset({"a", "b", "c", "d", "e"})
    found = practice_findings(a, known)
    assert {f.level for f in found} == {"error"}
    assert sorted((f.code, f.where) for f in found) == [
        ("practice-duplicate", "a/twice"), ("practice-own-question", "a/own"),
        ("practice-too-many", "a/many"), ("practice-unknown", "a/unknown")]
    assert "'nope'" in next(f.message for f in found if f.code == "practice-unknown")
    # lint() checks the lists against the questions it is given, and a criterion without one passes.
    others = [question(q, crit("c", "x y z.")) for q in ("b", "c", "d", "e")]
    codes_found = {f.code for f in lint([a, *others], None) if f.code.startswith("practice-")}
    assert codes_found == {"practice-duplicate", "practice-own-question", "practice-too-many",
                           "practice-unknown"}
    assert practice_findings(question("d", good), frozenset({"b", "c", "d"})) == []
