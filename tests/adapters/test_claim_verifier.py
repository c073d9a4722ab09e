"""The claim verifier: the shipped artifact, its accuracy on questions it never saw, and that
`interviewer judge train` reproduces weights from the repository alone."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
from interviewer.adapters.judge.offline.claim_verifier import DEFAULT_VERIFIER, ClaimVerifier, file_sha256
from interviewer.core.ports import Encoder
from interviewer.evaluation.claims import CLAIMS_DIR, build_pairs, load_claims, split_questions
from interviewer.judge_train import TrainConfig, train_verifier
from interviewer.settings import Settings

# Measured on the held-out questions (never trained on) when the artifact was trained; the floor
# leaves a margin. Chance is 1/3.
HELD_OUT_ACCURACY_FLOOR = 0.75


@pytest.fixture(scope="module")
def bank() -> YamlQuestionBank:
    return YamlQuestionBank.load(Settings().bank_roots)


def test_artifact_is_small_float16_and_matches_its_checksum() -> None:
    from safetensors.torch import load_file

    meta = json.loads(DEFAULT_VERIFIER.with_suffix(".json").read_text(encoding="utf-8"))
    assert file_sha256(DEFAULT_VERIFIER) == meta["weights_sha256"]
    assert DEFAULT_VERIFIER.stat().st_size < 2_000_000
    tensors = load_file(str(DEFAULT_VERIFIER))
    assert tensors and {str(t.dtype) for t in tensors.values()} == {"torch.float16"}
    data = sorted(CLAIMS_DIR.glob("*.yaml"))
    from interviewer.judge_train import data_sha256

    assert meta["data_sha256"] == data_sha256(data), "datasets/claims changed: retrain the verifier"


def test_held_out_questions_were_never_trained_on(bank: YamlQuestionBank) -> None:
    meta = json.loads(DEFAULT_VERIFIER.with_suffix(".json").read_text(encoding="utf-8"))
    train, val, held = split_questions(list(bank.all()))
    held_ids = [q.id for q in held]
    # Questions added to the bank after the verifier was trained fall into the buckets too: the
    # recorded held-out questions must still be held out, in order, and none of today's held-out
    # questions may have been trained on.
    recorded = meta["questions"]["held_out"]
    assert recorded and [i for i in held_ids if i in set(recorded)] == recorded
    assert not set(meta["questions"]["train"]) & set(held_ids)


def test_accuracy_on_held_out_questions(bank: YamlQuestionBank, encoder: Encoder) -> None:
    crits, restate = load_claims(sorted(CLAIMS_DIR.glob("*.yaml")))
    meta = json.loads(DEFAULT_VERIFIER.with_suffix(".json").read_text(encoding="utf-8"))
    held = [q for q in bank.all() if q.id in set(meta["questions"]["held_out"])]
    pairs = build_pairs(held, crits, restate, seed=2)
    verifier = ClaimVerifier()
    claims = encoder.encode_tokens([p.claim for p in pairs])
    spans = encoder.encode_tokens([p.span for p in pairs])
    pred = verifier.probabilities(claims, spans).argmax(axis=1)
    labels = np.array([p.label for p in pairs])
    accuracy = float((pred == labels).mean())
    assert len(pairs) > 500
    assert accuracy >= HELD_OUT_ACCURACY_FLOOR, accuracy
    for k in range(3):  # every class is recognised, not just the most frequent one
        assert float((pred[labels == k] == k).mean()) >= 0.6


def test_training_is_reproducible(bank: YamlQuestionBank, encoder: Encoder, tmp_path: Path) -> None:
    few = [q for q in bank.all() if q.area == "tokenization"]
    tc = TrainConfig(epochs=2)
    a = train_verifier(encoder, few, tmp_path / "a.safetensors", tc=tc, log=lambda _: None)
    b = train_verifier(encoder, few, tmp_path / "b.safetensors", tc=tc, log=lambda _: None)
    assert a["weights_sha256"] == b["weights_sha256"]
    assert a["metrics"]["train"]["n"] > 100
    c = train_verifier(encoder, few, tmp_path / "c.safetensors", tc=TrainConfig(epochs=2, seed=1),
                       log=lambda _: None)
    assert c["weights_sha256"] != a["weights_sha256"]  # the seed is what fixes them
