"""INTERVIEWER_TORCH_THREADS sets the embedding model's intra-op threads; 0 leaves torch's default."""

from __future__ import annotations

import pytest
import torch

from interviewer.settings import Settings
from interviewer.wiring import apply_torch_threads


def test_torch_threads_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        monkeypatch.setenv("INTERVIEWER_TORCH_THREADS", "0")
        apply_torch_threads(Settings())
        assert torch.get_num_threads() == 2
        monkeypatch.setenv("INTERVIEWER_TORCH_THREADS", "1")
        apply_torch_threads(Settings())
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
