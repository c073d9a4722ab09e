"""Comparing a candidate's return value with the reference's (pure; numpy only)."""

from __future__ import annotations

from typing import Any

import numpy as np


def compare(got: Any, want: Any, tol: float) -> str | None:
    """None when equal within `tol` (relative and absolute); else a reason that shows no inputs."""
    if isinstance(want, np.ndarray) or isinstance(got, np.ndarray):
        try:
            g = np.asarray(got)
        except (TypeError, ValueError):
            return f"returned {type(got).__name__}, expected an array"
        w = np.asarray(want)
        if g.shape != w.shape:
            return f"wrong shape {g.shape}, expected {w.shape}"
        if w.dtype.kind in "fc" or g.dtype.kind in "fc":
            if g.dtype.kind not in "fcbiu":
                return f"wrong dtype {g.dtype}"
            g64, w64 = g.astype(np.float64), w.astype(np.float64)
            if np.isnan(g64).any() and not np.isnan(w64).any():
                return "contains NaN"
            if not np.allclose(g64, w64, rtol=tol, atol=tol, equal_nan=True):
                return f"values differ (max abs error {float(np.nanmax(np.abs(g64 - w64))):.3g})"
            return None
        return None if np.array_equal(g, w) else "values differ"
    if isinstance(want, float) or (isinstance(got, float) and isinstance(want, int)):
        if not isinstance(got, (int, float)):
            return f"returned {type(got).__name__}, expected a number"
        return None if abs(got - want) <= tol * max(1.0, abs(want)) else "value differs"
    if isinstance(want, (list, tuple)):
        if not isinstance(got, (list, tuple)) or len(got) != len(want):
            return f"expected a sequence of length {len(want)}"
        for g_item, w_item in zip(got, want, strict=True):
            reason = compare(g_item, w_item, tol)
            if reason:
                return reason
        return None
    if isinstance(want, dict):
        if not isinstance(got, dict) or set(got) != set(want):
            return "wrong keys"
        for key in want:
            reason = compare(got[key], want[key], tol)
            if reason:
                return reason
        return None
    return None if got == want else "value differs"
