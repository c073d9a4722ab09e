"""A contradiction read through a clause cut from the middle of a sample sentence must hold against
the whole sentence too (`verify.cut_sources`, issue 15; docs/grading.md, "Seventeenth session").

`split_claims` cuts long sample sentences at clause breaks, and a piece from the middle loses its
subject and context ("the reported loss should cover ..."): the cross-encoder then reads a true
sentence about a neighbouring claim as contradicting it. The texts were written for this test.
"""

from __future__ import annotations

import numpy as np
import pytest

from interviewer.adapters.judge.offline import verify
from interviewer.adapters.judge.offline.cross_verifier import CrossVerifier
from interviewer.adapters.judge.offline.cross_verifier import shared as shared_cross
from interviewer.adapters.judge.offline.units import answer_units
from interviewer.adapters.judge.offline.verify import cut_sources, read_by_clause
from interviewer.core.ports import Encoder

WHOLE = ("The learning-rate schedule counts optimizer steps rather than micro-batches, and the reported "
         "loss should cover the whole accumulated batch.")
CUT = "the reported loss should cover the whole accumulated batch."
SAMPLE = ("Each GPU adds the gradients of several micro-batches and the optimizer steps once. " + WHOLE)
QUESTION = "How does gradient accumulation reach a large global batch on a few GPUs?"
# True, and about loss normalisation rather than what is logged.
ANSWER = ("Dividing each micro-batch loss by 8 is enough when every micro-batch has the same number of "
          "tokens; with padding or variable lengths you should sum token losses and divide by the token "
          "count of the entire global batch.")


def test_only_a_clause_cut_from_the_middle_of_a_sentence_has_a_source() -> None:
    opening = "The learning-rate schedule counts optimizer steps rather than micro-batches"
    sources = cut_sources([[CUT, opening], [WHOLE]], [SAMPLE.split(". ")[0] + ".", WHOLE])
    assert sources == [[WHOLE, None], [None]]
    assert cut_sources([["not in the sample at all"]], [WHOLE]) == [[None]]


@pytest.fixture(scope="module")
def verifier() -> CrossVerifier:
    return shared_cross()


def reading(verifier: CrossVerifier, encoder: Encoder) -> verify.Checked:
    units = answer_units(ANSWER, QUESTION)
    sentences = [s.text for s in units.spans[: units.n_sentences]]
    vectors = encoder.encode(sentences)
    sims = np.asarray(vectors @ encoder.encode([CUT]).T)
    return read_by_clause(verifier.probabilities, encoder, SAMPLE, [CUT], units, sentences, sims,
                          vectors, contradictions_only=True)[0]


def test_a_cut_clause_contradicted_only_out_of_context_is_not_contradicted(
        verifier: CrossVerifier, encoder: Encoder, monkeypatch: pytest.MonkeyPatch) -> None:
    # The premise: the cut clause alone reads as contradicted, its whole sentence does not.
    alone, whole = verifier.probabilities([CUT, WHOLE], [ANSWER, ANSWER])
    assert verify._could_contradict(alone) and not verify._could_contradict(whole)
    assert not reading(verifier, encoder).contradicts()
    # Without the sources (as before the rule), the cut clause was read as contradicted.
    monkeypatch.setattr(verify, "cut_sources", lambda clauses, sample: [[None] * len(c) for c in clauses])
    assert reading(verifier, encoder).contradicts()
