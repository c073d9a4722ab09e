"""Rubrics for questions that come without one (a partner's question, an ad-hoc grade): derived
from the sample answer once, then kept in a bounded LRU keyed by the question's content."""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable

from interviewer.core.models import Question, Rubric, content_digest

RubricDeriver = Callable[[str, str, str], Rubric]  # (question_id, question_text, sample_answer)
CACHE_SIZE = 2048


class Rubrics:
    def __init__(self, derive: RubricDeriver, *, size: int = CACHE_SIZE) -> None:
        self.derive, self.size = derive, size
        self._cache: OrderedDict[str, Rubric] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(question: Question) -> str:
        return content_digest(question.id, question.text, question.sample_answer)

    def _cached(self, key: str) -> Rubric | None:
        with self._lock:
            rubric = self._cache.get(key)
            if rubric is not None:
                self._cache.move_to_end(key)
            return rubric

    def get(self, question: Question) -> Rubric:
        """The question's own rubric, or one derived from its sample answer (cached).

        Deriving runs the encoder: from async code use `get_async`.
        """
        if question.rubric is not None:
            return question.rubric
        key = self._key(question)
        rubric = self._cached(key)
        if rubric is None:
            rubric = self.derive(question.id, question.text, question.sample_answer)
            with self._lock:
                self._cache[key] = rubric
                if len(self._cache) > self.size:
                    self._cache.popitem(last=False)
        return rubric

    async def get_async(self, question: Question) -> Rubric:
        """`get`, deriving a new rubric in a worker thread, never on the event loop."""
        if question.rubric is not None:
            return question.rubric
        cached = self._cached(self._key(question))
        if cached is not None:
            return cached
        return await asyncio.to_thread(self.get, question)
