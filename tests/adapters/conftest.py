"""Fixtures for adapter tests: the offline judge on the real packaged encoder."""

from __future__ import annotations

import pytest

from interviewer.adapters.judge_offline import OfflineJudge
from interviewer.core.ports import Encoder


@pytest.fixture(scope="session")
def offline_judge(encoder: Encoder) -> OfflineJudge:
    """The offline judge with its packaged calibration."""
    return OfflineJudge(encoder)
