"""Plain factory functions for test data: questions with hand-written rubrics."""

from __future__ import annotations

import asyncio
from typing import Any

from interviewer.core.models import Criterion, Difficulty, Question, Rubric

SCALING_ANSWER = (
    "The dot products of queries and keys grow with the dimension d_k, because their variance "
    "is proportional to d_k. Large logits push the softmax into saturated regions where it is "
    "nearly one-hot, so its gradients become extremely small. Dividing by sqrt(d_k) keeps the "
    "variance of the logits around one, which keeps the softmax well-behaved and training stable."
)

KV_ANSWER = (
    "During autoregressive decoding each new token attends to all previous tokens, so the keys "
    "and values of earlier positions are stored in a KV cache instead of being recomputed at "
    "every step. This turns the per-token cost from reprocessing the whole prefix into a single "
    "forward pass for the new token. The price is memory: the cache grows linearly with sequence "
    "length, batch size and the number of layers and heads."
)

PRENORM_ANSWER = (
    "Pre-norm applies layer normalization before each sublayer, inside the residual branch, so "
    "the residual stream carries an unnormalized identity path from input to output. Gradients "
    "flow through that identity path directly, which makes very deep transformers train stably "
    "without careful learning-rate warmup. Post-norm normalizes after the residual addition, "
    "which rescales the gradients at every layer and often diverges in deep models."
)


def make_rubric(question_id: str = "attention-scaling", version: int = 1) -> Rubric:
    """The hand-written rubric of one of the factory questions."""
    return RUBRICS[question_id](version)


def _scaling(version: int) -> Rubric:
    return Rubric("attention-scaling", version, (
        Criterion(
            "variance-growth", "variance of dot products",
            "The dot products of queries and keys have a variance that grows with the dimension "
            "d_k, so their magnitude becomes large.", 0.35,
            misconception="The dot products of queries and keys get smaller as the dimension d_k "
            "grows.",
            why="It is the cause the scaling corrects.", key_terms=("variance", "dot products", "d_k"),
            probe="What happens to the variance of q·k as d_k grows?",
        ),
        Criterion(
            "softmax-saturation", "softmax saturation",
            "Large logits saturate the softmax so it becomes nearly one-hot and its gradients "
            "vanish.", 0.4,
            misconception="Large logits make the softmax output more uniform.",
            why="Saturation is why unscaled attention trains badly.",
            key_terms=("softmax", "saturate", "gradients"),
            probe="What does softmax do with very large inputs?",
        ),
        Criterion(
            "unit-variance", "keeping unit variance",
            "Dividing by the square root of d_k keeps the logits at roughly unit variance, which "
            "keeps training stable.", 0.25,
            why="It is what the scaling achieves.", key_terms=("sqrt", "unit variance", "stable"),
        ),
    ))


def _kv(version: int) -> Rubric:
    return Rubric("kv-cache", version, (
        Criterion(
            "reuse-keys-values", "reusing cached keys and values",
            "The keys and values of previous tokens are stored and reused instead of being "
            "recomputed at each decoding step.", 0.45,
            misconception="The KV cache stores the model weights so they load faster.",
            why="This is what the cache is.", key_terms=("keys", "values", "recomputed"),
        ),
        Criterion(
            "per-token-cost", "per-token cost",
            "Each step only runs the new token through the model rather than the whole prefix.",
            0.3, why="It explains the speed-up.", key_terms=("new token", "prefix"),
        ),
        Criterion(
            "memory-cost", "memory cost",
            "The cache uses memory that grows linearly with sequence length, batch size and "
            "layers.", 0.25, why="It is the trade-off.", key_terms=("memory", "linearly"),
        ),
    ))


def _prenorm(version: int) -> Rubric:
    return Rubric("pre-norm", version, (
        Criterion(
            "norm-placement", "where normalization sits",
            "Pre-norm normalizes the input of each sublayer inside the residual branch, while "
            "post-norm normalizes after the residual addition.", 0.4,
            why="It is the definition.", key_terms=("before", "residual", "sublayer"),
        ),
        Criterion(
            "identity-path", "clean identity path",
            "The residual stream keeps an identity path so gradients flow directly through deep "
            "networks.", 0.35, why="It is why pre-norm is stable.",
            key_terms=("identity path", "gradients"),
        ),
        Criterion(
            "stability", "training stability",
            "Pre-norm trains deep transformers stably with less need for warmup, while post-norm "
            "often diverges.", 0.25, why="It is the practical reason.",
            misconception="Post-norm is more stable than pre-norm in very deep transformers.",
            key_terms=("stable", "warmup", "diverges"),
        ),
    ))


RUBRICS = {"attention-scaling": _scaling, "kv-cache": _kv, "pre-norm": _prenorm}
TEXTS = {
    "attention-scaling": ("Why is dot-product attention scaled by the square root of d_k?",
                          SCALING_ANSWER),
    "kv-cache": ("What is the KV cache and why does it speed up autoregressive inference?",
                 KV_ANSWER),
    "pre-norm": ("Why do most modern transformers use pre-norm instead of post-norm?",
                 PRENORM_ANSWER),
}


def make_question(question_id: str = "attention-scaling", *, with_rubric: bool = True) -> Question:
    """One of the factory questions, with its hand-written rubric attached."""
    text, sample = TEXTS[question_id]
    return Question(
        id=question_id, text=text, area="architecture", difficulty=Difficulty.MEDIUM,
        companies=("OpenAI",), sample_answer=sample,
        rubric=make_rubric(question_id) if with_rubric else None,
    )


def all_questions() -> list[Question]:
    """Every factory question."""
    return [make_question(q) for q in TEXTS]


class Sink:
    """An Outbox that records what a socket would have received."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed = asyncio.Event()
        self.code: int | None = None

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    async def close(self, code: int, reason: str) -> None:
        self.code = code
        self.closed.set()

    def types(self) -> list[str]:
        return [m["type"] for m in self.sent]
