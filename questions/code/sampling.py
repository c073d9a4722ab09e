import numpy as np


def reference(logits, temperature=1.0, top_k=0, top_p=1.0):
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        out = np.zeros_like(logits)
        out[int(np.argmax(logits))] = 1.0
        return out
    z = logits / temperature
    p = np.exp(z - z.max())
    p /= p.sum()
    order = np.argsort(-p, kind="stable")
    keep = np.zeros(p.shape, dtype=bool)
    n = len(p) if top_k <= 0 else min(top_k, len(p))
    cum = np.cumsum(p[order[:n]])
    m = int(np.searchsorted(cum, top_p - 1e-12)) + 1
    keep[order[: min(n, m)]] = True
    p = np.where(keep, p, 0.0)
    return p / p.sum()


def cases():
    return {
        "basic": [(np.array([1.0, 2.0, 0.5]),), (np.array([1.0, 3.0, 3.0]), 0.0)],
        "filters": [(np.array([2.0, 1.0, 0.0, -1.0, 3.0]), 0.7, 3, 0.8),
                    (np.array([0.0, 0.0, 1.0, 2.0]), 1.0, 0, 0.6), (np.array([1.0, 2.0, 3.0]), 1.0, 2)],
        "extreme": [(np.array([1000.0, 999.0, -5.0]), 1.0), (np.array([1.0, 1.5, 1.2]), 1e-3),
                    (np.array([5.0, 1.0, 0.0]), 1.0, 0, 0.1)],
    }
