import numpy as np


def reference(q, k, v, causal=False):
    d = q.shape[-1]
    t, s = q.shape[-2], k.shape[-2]
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(d)
    if causal:
        allowed = np.arange(s)[None, :] <= np.arange(t)[:, None] + (s - t)
        scores = np.where(allowed, scores, -np.inf)
    top = np.max(scores, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    w = np.exp(scores - top)
    total = w.sum(axis=-1, keepdims=True)
    w = np.divide(w, total, out=np.zeros_like(w), where=total > 0)
    return w @ v


def cases():
    r = np.random.default_rng(0)
    return {
        "basic": [(r.normal(size=(3, 4)), r.normal(size=(3, 4)), r.normal(size=(3, 2)), False),
                  (r.normal(size=(4, 4)), r.normal(size=(4, 4)), r.normal(size=(4, 3)), True)],
        "stability": [(r.normal(size=(3, 8)) * 1e3, r.normal(size=(3, 8)) * 1e3, r.normal(size=(3, 2)), True)],
        "shapes": [(r.normal(size=(2, 3, 2, 4)), r.normal(size=(2, 3, 5, 4)), r.normal(size=(2, 3, 5, 6)), True)],
        # S < T with the causal mask: the first T - S queries may attend to no key at all
        "masked_rows": [(r.normal(size=(4, 4)), r.normal(size=(2, 4)), r.normal(size=(2, 3)), True)],
    }
