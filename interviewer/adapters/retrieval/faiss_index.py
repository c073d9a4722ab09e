"""Retriever port on FAISS: concept cards from every rubric criterion, inner product on unit vectors."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np
from tqdm import tqdm

from interviewer.adapters.retrieval.practice_rank import Bm25, fuse, question_document
from interviewer.core.code_grade import CODE_TAG
from interviewer.core.models import Criterion, Question, Rubric
from interviewer.core.ports import Encoder, Practice, Probe, QuestionBank, SearchHit, Vectors
from interviewer.core.topic import SAME_QUESTION, TopicScores, topic_sentences
from interviewer.progress import is_terminal

log = logging.getLogger("interviewer.index")

INDEX_VERSION = 1
# How much of the candidate's own answer is taken out of the query, so that the probe aims at
# the part of the concept that was not said rather than at the topic as a whole.
ANSWER_WEIGHT = 0.3
# The question's own probe wins when its score is within this margin of the best card.
OWN_PROBE_MARGIN = 0.05
SEARCH_K = 16
TOPIC_K = 8  # cards searched for the off-topic check


@dataclass(frozen=True, slots=True)
class Card:
    """One searchable item: a rubric criterion (concept) or a whole question."""

    kind: str  # "concept" | "question"
    question_id: str
    criterion_id: str
    concept: str
    statement: str
    probe: str
    why: str
    area: str
    difficulty: str

    @property
    def text(self) -> str:
        if self.kind == "question":
            return self.statement
        return f"{self.concept}. {self.statement}"


def cards_for(bank: QuestionBank) -> list[Card]:
    """A concept card per rubric criterion and a question card per question."""
    cards: list[Card] = []
    for q in bank.all():
        d = q.difficulty.value
        cards.append(Card("question", q.id, "", "", q.text, "", "", q.area, d))
        for c in q.rubric.criteria if q.rubric else ():
            cards.append(Card("concept", q.id, c.id, c.concept, c.statement, c.probe, c.why, q.area, d))
    return cards


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return (v / n).astype(np.float32) if n > 0 else v.astype(np.float32)


class ConceptIndex:
    """A flat inner-product FAISS index over card embeddings (exact search)."""

    def __init__(self, cards: Sequence[Card], vectors: Vectors) -> None:
        self.cards = list(cards)
        self.index: faiss.Index = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    @classmethod
    def build(cls, cards: Sequence[Card], encoder: Encoder, *, batch: int = 64,
              progress: bool = True) -> ConceptIndex:
        """Embed every card (with a progress bar) and index them."""
        chunks = []
        for i in tqdm(range(0, len(cards), batch), desc="concept index", unit="batch",
                      disable=not progress or not is_terminal(sys.stderr)):  # never in a log stream
            chunks.append(encoder.encode([c.text for c in cards[i:i + batch]]))
        vectors = np.vstack(chunks) if chunks else np.zeros((0, 384), dtype=np.float32)
        return cls(cards, vectors)

    def search(self, query: Vectors, k: int) -> list[tuple[float, Card]]:
        """Top-k cards for one unit query vector, best first."""
        if not self.cards:
            return []
        scores, ids = self.index.search(np.ascontiguousarray(query.reshape(1, -1)), min(k, len(self.cards)))
        return [(float(s), self.cards[i]) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0]

    def all_scores(self, query: Vectors) -> np.ndarray:
        """Every card's score for one unit query vector, in card order (an exact full search)."""
        out = np.full(len(self.cards), -1.0, dtype=np.float32)
        if self.cards:
            scores, ids = self.index.search(np.ascontiguousarray(query.reshape(1, -1)), len(self.cards))
            keep = ids[0] >= 0
            out[ids[0][keep]] = scores[0][keep]
        return out

    def save(self, directory: Path, content_hash: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self.index, str(directory / f"concepts-{content_hash}.faiss"))
        meta = {"version": INDEX_VERSION, "hash": content_hash, "cards": [asdict(c) for c in self.cards]}
        (directory / f"concepts-{content_hash}.json").write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, content_hash: str) -> ConceptIndex | None:
        """The saved index for this content hash, or None when absent or stale."""
        meta_path = directory / f"concepts-{content_hash}.json"
        index_path = directory / f"concepts-{content_hash}.faiss"
        if not (meta_path.exists() and index_path.exists()):
            return None
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("version") != INDEX_VERSION or meta.get("hash") != content_hash:
            return None
        self = cls.__new__(cls)
        self.cards = [Card(**c) for c in meta["cards"]]
        self.index = faiss.read_index(str(index_path))
        if self.index.ntotal != len(self.cards):
            return None
        return self


def index_hash(bank: QuestionBank, encoder: Encoder) -> str:
    return hashlib.sha256(f"{bank.content_hash}:{encoder.name}:{INDEX_VERSION}".encode()).hexdigest()[:16]


def load_or_build(bank: QuestionBank, encoder: Encoder, directory: Path, *,
                  progress: bool = True) -> tuple[ConceptIndex, bool]:
    """Load the index saved for this bank's content hash, or rebuild and save it. Returns (index, built)."""
    h = index_hash(bank, encoder)
    found = ConceptIndex.load(directory, h)
    if found is not None:
        return found, False
    log.info("index.rebuild", extra={"hash": h})
    index = ConceptIndex.build(cards_for(bank), encoder, progress=progress)
    index.save(directory, h)
    return index, True


class FaissRetriever:
    """Retriever port: follow-up probes and practice questions from the concept index."""

    def __init__(self, bank: QuestionBank, encoder: Encoder, index: ConceptIndex) -> None:
        self.bank, self.encoder, self.index = bank, encoder, index
        self._own = {(c.question_id, c.criterion_id): i for i, c in enumerate(index.cards)
                     if c.kind == "concept"}
        # Practice ranking ranks every indexed question: its row, and BM25 over its rubric.
        self._qids = list(dict.fromkeys(c.question_id for c in index.cards))
        self._row = {qid: i for i, qid in enumerate(self._qids)}
        self._card_row = np.array([self._row[c.question_id] for c in index.cards], dtype=np.int64)
        self._bm25 = Bm25([question_document(bank.get(qid)) for qid in self._qids])

    def _gap_query(self, question: Question, criterion_id: str, answer: str) -> Vectors:
        assert question.rubric is not None
        c = question.rubric.criterion(criterion_id)
        texts = [f"{c.concept}. {c.statement}"] + ([answer] if answer.strip() else [])
        vecs = self.encoder.encode(texts)
        query = vecs[0] - ANSWER_WEIGHT * vecs[1] if len(vecs) > 1 else vecs[0]
        return _unit(query)

    def select_probe(self, question: Question, criterion_id: str, answer: str,
                     exclude: frozenset[str]) -> Probe | None:
        """The best probe for the gap; the question's own probe when it ranks well (sync)."""
        if question.rubric is None:
            return None
        try:
            c = question.rubric.criterion(criterion_id)
        except KeyError:
            return None
        query = self._gap_query(question, criterion_id, answer)

        def allowed(card: Card) -> bool:
            return (card.kind == "concept" and bool(card.probe) and card.probe not in exclude
                    and f"{card.question_id}/{card.criterion_id}" not in exclude)

        own_i = self._own.get((question.id, criterion_id))
        if own_i is None and CODE_TAG in question.tags and c.probe and c.probe not in exclude \
                and f"{question.id}/{c.id}" not in exclude:
            # A coding problem's failing test group (not in the index): its own follow-up was
            # written for exactly this gap, which a card of another question can only approximate.
            own_vec = _unit(self.encoder.encode([f"{c.concept}. {c.statement}"])[0])
            return Probe(question.id, c.id, c.concept, c.probe, float(own_vec @ query))
        hits = [(s, card) for s, card in self.index.search(query, SEARCH_K) if allowed(card)]
        own = self.index.cards[own_i] if own_i is not None else None
        if own is not None and own_i is not None and allowed(own):
            own_score = float(self.index.index.reconstruct(own_i) @ query)
            if not hits or own_score >= hits[0][0] - OWN_PROBE_MARGIN:
                return Probe(question.id, c.id, c.concept, own.probe, own_score)
        if not hits:
            return None
        score, card = hits[0]
        return Probe(card.question_id, c.id, c.concept, card.probe, score)

    async def probe_for(
        self, *, question: Question, criterion_id: str, answer: str, exclude: frozenset[str]
    ) -> Probe | None:
        return await asyncio.to_thread(self.select_probe, question, criterion_id, answer, exclude)

    def select_practice(self, question: Question, criterion_id: str, exclude: frozenset[str],
                        k: int) -> list[Practice]:
        """The k questions that best exercise the gap: the criterion's hand-picked `practice` list
        first, in its order (a reviewer read them as needing the concept, which no ranker checks),
        then the ranker's best for the slots left."""
        if question.rubric is None or k <= 0:
            return []
        c = question.rubric.criterion(criterion_id)
        skip = {question.id, *exclude}
        out: list[Practice] = []
        for rank, qid in enumerate(c.practice):
            if qid in skip or qid not in self._row:
                continue  # asked already, or a question no longer in the bank
            skip.add(qid)
            # Its score is its place in the list (the ranker's fused scores are another scale).
            out.append(Practice(qid, self.bank.get(qid).text, float(len(c.practice) - rank)))
            if len(out) == k:
                return out
        return out + self._ranked_practice(c, frozenset(skip), k - len(out))

    def _ranked_practice(self, c: Criterion, skip: frozenset[str], k: int) -> list[Practice]:
        """Each indexed question scored by its closest card to the criterion (embedding) fused
        with BM25 of the criterion against its rubric; the k best not in `skip`."""
        if not self._qids or k <= 0:
            return []
        query = self.encoder.encode([f"{c.concept}. {c.statement}"])[0]
        dense = np.full(len(self._qids), -1.0)
        np.maximum.at(dense, self._card_row, self.index.all_scores(query))
        lexical = self._bm25.scores(f"{c.concept}. {c.statement} {' '.join(c.key_terms)}")
        score = fuse(dense, lexical)
        out: list[Practice] = []
        for i in np.argsort(-score, kind="stable"):
            qid = self._qids[int(i)]
            if qid in skip:
                continue
            out.append(Practice(qid, self.bank.get(qid).text, float(score[i])))
            if len(out) == k:
                break
        return out

    async def practice_for(
        self, *, question: Question, criterion_id: str, exclude: frozenset[str], k: int = 2
    ) -> list[Practice]:
        return await asyncio.to_thread(self.select_practice, question, criterion_id, exclude, k)

    def search_sync(self, text: str, k: int) -> list[SearchHit]:
        hits = self.index.search(self.encoder.encode([text])[0], k)
        return [SearchHit(c.kind, c.question_id, c.criterion_id,
                          c.statement if c.kind == "question" else c.probe or c.statement,
                          c.concept, s) for s, c in hits]

    async def search(self, text: str, k: int) -> list[SearchHit]:
        """Semantic search over questions and concepts."""
        return await asyncio.to_thread(self.search_sync, text, k)

    def topic_sync(self, question: Question, rubric: Rubric, answer: str) -> TopicScores | None:
        """How close the answer is to its own rubric and to the closest other bank question.

        The answer is the normalised mean of its sentences' vectors (the judge has just encoded
        the same sentences, so they come from the encoder's cache); a question is as close as its
        closest concept card.
        """
        sentences = topic_sentences(answer)
        if not sentences or not rubric.criteria:
            return None
        centroid = _unit(self.encoder.encode(sentences).mean(axis=0))
        own_vecs = self.encoder.encode([f"{c.concept}. {c.statement}" for c in rubric.criteria])
        own = float(np.max(own_vecs @ centroid))
        asked = _unit(self.encoder.encode([question.text])[0])
        best: tuple[float, str] | None = None
        for s, card in self.index.search(centroid, TOPIC_K):
            if card.kind != "concept" or card.question_id == question.id \
                    or (best is not None and s <= best[0]):
                continue
            other = self.bank.get(card.question_id)
            if float(_unit(self.encoder.encode([other.text])[0]) @ asked) >= SAME_QUESTION:
                continue  # the same question asked in other words (core.topic.SAME_QUESTION)
            best = (s, card.question_id)
        if best is None:
            return None
        return TopicScores(own, best[0], best[1])

    async def topic(self, *, question: Question, rubric: Rubric, answer: str) -> TopicScores | None:
        """The answer's closeness to its own rubric and to the closest other question."""
        return await asyncio.to_thread(self.topic_sync, question, rubric, answer)
