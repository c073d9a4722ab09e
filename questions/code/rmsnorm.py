import numpy as np


def reference(x, weight, kind, eps=1e-5):
    if kind == "rms":
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight
    mu = x.mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(x.var(axis=-1, keepdims=True) + eps) * weight


def cases():
    r = np.random.default_rng(1)
    w = r.normal(size=4)
    return {
        "basic": [(r.normal(size=(2, 4)), w, "rms"), (r.normal(size=(2, 4)), w, "layer")],
        "edge": [(np.zeros((2, 4)), w, "rms"), (np.full((1, 4), 3.0), w, "layer"),
                 (r.normal(size=(2, 4)) * 1e-4, w, "rms", 1e-2)],
        "shapes": [(r.normal(size=(2, 3, 4)), w, "layer")],
    }
