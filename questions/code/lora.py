import numpy as np


def reference(x, w, a, b, alpha, merge=False):
    scale = alpha / a.shape[0]
    if merge:
        return w + scale * (b @ a)
    return x @ w.T + scale * (x @ a.T) @ b.T


def cases():
    r = np.random.default_rng(6)
    w, a, b = r.normal(size=(3, 5)), r.normal(size=(2, 5)), r.normal(size=(3, 2))
    return {
        "basic": [(r.normal(size=(4, 5)), w, a, b, 4.0)],
        "merge": [(None, w, a, b, 8.0, True), (r.normal(size=(2, 5)), w, a, b, 16.0)],
        "zero_init": [(r.normal(size=(2, 5)), w, r.normal(size=(1, 5)), np.zeros((3, 1)), 2.0)],
    }
