import numpy as np


def reference(draft_tokens, q, p, u):
    for i, x in enumerate(draft_tokens):
        if not u[i] < min(1.0, p[i, x] / q[i, x]):
            res = np.maximum(p[i] - q[i], 0.0)
            return i, res / res.sum()
    return len(draft_tokens), p[len(draft_tokens)]


def _dists(r, n, v):
    d = r.random(size=(n, v)) + 0.05
    return d / d.sum(axis=1, keepdims=True)


def cases():
    r = np.random.default_rng(7)
    q, p = _dists(r, 3, 5), _dists(r, 4, 5)
    x = np.array([int(np.argmax(q[0])), 1, 2])
    qa = q.copy()
    same = p[:3].copy()
    return {
        "basic": [(x, q, p, np.array([0.0, 0.9999, 0.5]))],
        "all_accepted": [(x, same, p, np.array([0.3, 0.5, 0.7]))],
        "edge": [(x, qa, p, np.array([0.99999, 0.0, 0.0])),
                 (np.array([int(np.argmax(q[0] - p[0]))]), q[:1], p[:2], np.array([0.999999]))],
    }
