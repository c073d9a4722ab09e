"""The services a running app uses, gathered in one container built by `interviewer.wiring`."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from interviewer.core.models import Question, Rubric
from interviewer.core.ports import Encoder, Judge, QuestionBank, Retriever, SessionStore
from interviewer.settings import Settings

RubricDeriver = Callable[[str, str, str], Rubric]  # (question_id, question_text, sample_answer)


@dataclass
class Services:
    settings: Settings
    bank: QuestionBank
    encoder: Encoder
    judge: Judge
    store: SessionStore
    retriever: Retriever
    derive: RubricDeriver
    _adhoc: OrderedDict[str, Rubric] = field(default_factory=OrderedDict)

    def rubric_for(self, question: Question) -> Rubric:
        """The question's own rubric, or one derived from its sample answer (cached by hash)."""
        if question.rubric is not None:
            return question.rubric
        key = hashlib.sha256(
            f"{question.id}\x00{question.text}\x00{question.sample_answer}".encode()
        ).hexdigest()
        rubric = self._adhoc.get(key)
        if rubric is None:
            rubric = self.derive(question.id, question.text, question.sample_answer)
            self._adhoc[key] = rubric
            if len(self._adhoc) > 2048:
                self._adhoc.popitem(last=False)
        else:
            self._adhoc.move_to_end(key)
        return rubric
