"""The FAISS concept index and follow-up selection with the real bank, encoder and judge."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
from interviewer.adapters.retrieval.faiss_index import (
    ConceptIndex,
    FaissRetriever,
    cards_for,
    index_hash,
    load_or_build,
)
from interviewer.evaluation.followups import answer_without
from tests.conftest import REPO


@pytest.fixture(scope="module")
def bank() -> YamlQuestionBank:
    return YamlQuestionBank.load([REPO])


@pytest.fixture(scope="module")
def retriever(bank, encoder, tmp_path_factory) -> FaissRetriever:  # type: ignore[no-untyped-def]
    index, built = load_or_build(bank, encoder, tmp_path_factory.mktemp("index"), progress=False)
    assert built
    return FaissRetriever(bank, encoder, index)


def test_one_card_per_criterion_and_question(bank, retriever) -> None:  # type: ignore[no-untyped-def]
    n_criteria = sum(len(q.rubric.criteria) for q in bank.all() if q.rubric)
    kinds = [c.kind for c in retriever.index.cards]
    assert kinds.count("concept") == n_criteria and kinds.count("question") == len(bank.all())
    assert retriever.index.index.ntotal == len(kinds)


def test_index_is_saved_with_hash_and_reloaded(bank, encoder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first, built = load_or_build(bank, encoder, tmp_path, progress=False)
    assert built and list(tmp_path.glob("concepts-*.faiss"))
    again, built_again = load_or_build(bank, encoder, tmp_path, progress=False)
    assert not built_again and len(again.cards) == len(first.cards)
    assert ConceptIndex.load(tmp_path, "0" * 16) is None  # another bank content: rebuilt
    assert index_hash(bank, encoder) in next(tmp_path.glob("*.json")).name


def test_flat_index_matches_exact_numpy_search(bank, encoder) -> None:  # type: ignore[no-untyped-def]
    cards = cards_for(bank)[:200]
    vecs = encoder.encode([c.text for c in cards])
    index = ConceptIndex(cards, vecs)
    query = encoder.encode(["why does decoding at batch size one underuse the GPU"])[0]
    got = [c for _, c in index.search(query, 5)]
    exact = [cards[i] for i in np.argsort(-(vecs @ query))[:5]]
    assert got == exact


def test_probe_targets_the_missed_criterion_and_prefers_own(bank, retriever) -> None:  # type: ignore[no-untyped-def]
    q = next(q for q in bank.all() if q.rubric and len(q.rubric.criteria) >= 3)
    c = q.rubric.criteria[0]
    probe = retriever.select_probe(q, c.id, answer_without(q.rubric, c.id), frozenset())
    assert probe is not None and probe.criterion_id == c.id and probe.concept == c.concept
    assert probe.text == c.probe and probe.question_id == q.id


def test_asked_probes_are_skipped(bank, retriever) -> None:  # type: ignore[no-untyped-def]
    q = next(q for q in bank.all() if q.rubric)
    c = q.rubric.criteria[0]
    probe = retriever.select_probe(q, c.id, "", frozenset({c.probe, f"{q.id}/{c.id}"}))
    assert probe is None or (probe.text != c.probe and probe.criterion_id == c.id)


def test_practice_questions_exclude_asked(bank, retriever) -> None:  # type: ignore[no-untyped-def]
    q = next(q for q in bank.all() if q.rubric)
    practice = retriever.select_practice(q, q.rubric.criteria[0].id, frozenset({q.id}), 3)
    assert 0 < len(practice) <= 3 and all(p.question_id != q.id for p in practice)


def test_search_finds_kv_cache_material(retriever) -> None:  # type: ignore[no-untyped-def]
    hits = retriever.search_sync("memory used by cached keys and values during generation", 5)
    assert hits and any("kv" in h.question_id or "cache" in (h.text + h.concept).lower() for h in hits)


class ThreadRecordingEncoder:
    """The real encoder, recording which thread each call runs on."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.name, self.threads = inner, inner.name, []

    def encode(self, texts):  # type: ignore[no-untyped-def]
        self.threads.append(threading.get_ident())
        return self.inner.encode(texts)


async def test_embedding_and_search_run_off_the_event_loop(bank, encoder, retriever) -> None:  # type: ignore[no-untyped-def]
    rec = ThreadRecordingEncoder(encoder)
    r = FaissRetriever(bank, rec, retriever.index)
    q = next(q for q in bank.all() if q.rubric)
    await r.search("attention scaling", 3)
    await r.probe_for(question=q, criterion_id=q.rubric.criteria[0].id, answer="x", exclude=frozenset())
    await r.practice_for(question=q, criterion_id=q.rubric.criteria[0].id, exclude=frozenset())
    assert len(rec.threads) == 3
    assert threading.get_ident() not in rec.threads


def practice_ids(bank, retriever, question_id: str, criterion_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    q = bank.get(question_id)
    return [p.question_id for p in retriever.select_practice(q, criterion_id, frozenset({q.id}), 2)]


def test_practice_for_bytes_per_parameter_is_not_the_kv_cache(bank, retriever) -> None:  # type: ignore[no-untyped-def]
    """Issue 21: "About 16 bytes per parameter" suggested the KV-cache sizing question (first, with
    the embedding-only ranker); both suggestions must now be questions that need the byte count.
    (The LoRA question still comes first: its optimizer-state criterion is that arithmetic.)"""
    top = practice_ids(bank, retriever, "train-memory-budget", "bytes-per-param")
    assert "inf-kv-cache-sizing" not in top
    assert set(top) <= {"train-mixed-precision", "train-lora-vs-full", "train-qlora", "train-zero-fsdp"}


def with_practice(question, criterion_id: str, practice: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """The question with one criterion's hand-picked practice list replaced."""
    criteria = tuple(replace(c, practice=practice) if c.id == criterion_id else c
                     for c in question.rubric.criteria)
    return replace(question, rubric=replace(question.rubric, criteria=criteria))


def test_hand_picked_practice_comes_first_in_its_order(bank, retriever) -> None:  # type: ignore[no-untyped-def]
    """Questions the ranker would never put first (far from compute allocation) are shown in the
    list's order, the current question and excluded ones skipped; the ranker fills the rest."""
    q = bank.get("scale-chinchilla-allocation")
    cid = "compute-formula"
    ranked = [p.question_id for p in retriever.select_practice(q, cid, frozenset({q.id}), 3)]
    picked = ("tok-special-tokens", "inf-ring-attention")
    assert not set(picked) & set(ranked)
    hand = with_practice(q, cid, (q.id, "tok-unicode-normalization", *picked))
    got = retriever.select_practice(hand, cid, frozenset({q.id, "tok-unicode-normalization"}), 3)
    assert [p.question_id for p in got] == [*picked, ranked[0]]
    assert got[0].text == bank.get("tok-special-tokens").text
    # Its own question is skipped even when not excluded; k bounds the hand-picked part too.
    assert [p.question_id for p in retriever.select_practice(hand, cid, frozenset(), 1)] == [
        "tok-unicode-normalization"]


def test_practice_for_the_activation_gap_needs_activation_memory(bank, retriever) -> None:  # type: ignore[no-untyped-def]
    """Issue 21's example: the gap "Activations scale with batch and length" suggested the
    critical-batch-size question (it shares "batch"); the built-in list names the questions whose
    answers need activation memory."""
    top = practice_ids(bank, retriever, "train-memory-budget", "activations")
    assert top == ["train-activation-checkpointing", "train-zero-fsdp"]
    assert "scale-critical-batch-size" not in top


def test_bm25_prefers_the_document_with_the_rare_shared_term() -> None:
    from interviewer.adapters.retrieval.practice_rank import Bm25

    bm = Bm25(["memory of the batch", "online softmax keeps a running maximum", "memory and batch size"])
    scores = bm.scores("the online softmax rescales partial sums")
    assert int(np.argmax(scores)) == 1 and scores[0] == 0.0
