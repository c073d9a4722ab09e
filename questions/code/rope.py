import numpy as np


def reference(x, positions, base=10000.0):
    t, d = x.shape
    if d % 2:
        raise ValueError("d must be even")
    freqs = base ** (-np.arange(0, d, 2) / d)
    ang = np.asarray(positions, dtype=np.float64)[:, None] * freqs[None, :]
    a, b = x[:, 0::2], x[:, 1::2]
    out = np.empty_like(x, dtype=np.float64)
    out[:, 0::2] = a * np.cos(ang) - b * np.sin(ang)
    out[:, 1::2] = a * np.sin(ang) + b * np.cos(ang)
    return out


def cases():
    r = np.random.default_rng(3)
    return {
        "basic": [(r.normal(size=(3, 4)), np.arange(3))],
        "relative": [(r.normal(size=(4, 8)), np.array([0, 7, 100, 4096])),
                     (r.normal(size=(2, 6)), np.array([5, 9]), 500.0)],
        "invalid": [(np.zeros((2, 5)), np.arange(2))],
    }
