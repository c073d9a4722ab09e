"""Process environment the app needs before any heavy import: never download at run time."""

from __future__ import annotations

import os


def apply() -> None:
    """Force offline model loading and litellm's local cost map (idempotent)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
