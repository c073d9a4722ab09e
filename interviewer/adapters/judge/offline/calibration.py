"""The offline judge's fitted calibration: criterion features to credit (scripts/fit_calibration.py)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from interviewer import PACKAGE_DIR

DEFAULT_CALIBRATION = PACKAGE_DIR / "calibration" / "offline-v4.json"
# Key-term coverage, relevance (the gate's input), contextual token recall of the statement.
FEATURES = ("terms", "relevance", "ctx")
RELEVANCE = FEATURES.index("relevance")
CTX = FEATURES.index("ctx")


@dataclass(frozen=True, slots=True)
class Calibration:
    """Fitted parameters mapping criterion features to credit, and the fixed judging margins.

    `rival_penalty` makes a unit count for the criterion it matches best: its similarity to a
    criterion is lowered by this share of how much closer it is to another criterion of the
    rubric. It is a design constant (1.0), not fitted.
    """

    version: int = 0
    mean: tuple[float, ...] = (0.0,) * len(FEATURES)
    std: tuple[float, ...] = (1.0,) * len(FEATURES)
    coef: tuple[float, ...] = (1.0, 0.0, 2.0)
    intercept: float = -1.0
    rival_penalty: float = 1.0
    gate: tuple[float, float] = (0.25, 0.45)
    contradiction_margin: float = 0.1

    @classmethod
    def load(cls, path: Path) -> Calibration:
        """Read a calibration file written by the fitting script."""
        raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        p = raw["params"]
        return cls(
            version=int(raw["version"]), mean=tuple(p["mean"]), std=tuple(p["std"]),
            coef=tuple(p["coef"]), intercept=float(p["intercept"]),
            rival_penalty=float(p["rival_penalty"]), gate=(p["gate"][0], p["gate"][1]),
            contradiction_margin=float(p["contradiction_margin"]),
        )

    def credit(self, feats: np.ndarray) -> float:
        """Credit in [0, 1]: a monotone logistic of the features times the relevance gate."""
        # The gate is on relevance (closeness to the statement or the question): text about
        # something else earns nothing, whatever the calibration learnt from on-topic answers.
        z = (feats - np.asarray(self.mean)) / np.asarray(self.std)
        logit = float(np.dot(np.asarray(self.coef), z) + self.intercept)
        lo, hi = self.gate
        gate = min(1.0, max(0.0, (float(feats[RELEVANCE]) - lo) / (hi - lo)))
        return gate / (1.0 + math.exp(-logit))
