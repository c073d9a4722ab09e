import numpy as np


def reference(logits, targets, smoothing=0.0, ignore_index=-100):
    keep = targets != ignore_index
    if not keep.any():
        return 0.0
    z = logits[keep]
    t = targets[keep]
    top = z.max(axis=1, keepdims=True)
    logp = z - top - np.log(np.exp(z - top).sum(axis=1, keepdims=True))
    nll = -logp[np.arange(len(t)), t]
    uniform = -logp.mean(axis=1)
    return float(np.mean((1 - smoothing) * nll + smoothing * uniform))


def cases():
    r = np.random.default_rng(5)
    return {
        "basic": [(r.normal(size=(4, 5)), np.array([0, 4, 2, 1])),
                  (r.normal(size=(3, 6)), np.array([5, 0, 3]), 0.1)],
        "ignore": [(r.normal(size=(4, 5)), np.array([0, -100, 2, -100]), 0.2),
                   (r.normal(size=(2, 3)), np.array([-100, -100]))],
        "stability": [(r.normal(size=(3, 4)) * 1e4, np.array([1, 2, 3]), 0.1)],
    }
