import numpy as np


def reference(logprobs, beam, length, eos):
    live = [(0.0, [])]
    done = []
    for _ in range(length):
        cand = []
        for score, seq in live:
            last = seq[-1] if seq else 0
            for tok in range(logprobs.shape[1]):
                cand.append((score + float(logprobs[last, tok]), seq + [tok]))
        cand.sort(key=lambda c: (-c[0], c[1]))
        live = []
        for score, seq in cand[:beam]:
            (done if seq[-1] == eos else live).append((score, seq))
        if not live:
            break
    pool = done + live
    pool.sort(key=lambda c: (-c[0], c[1]))
    return pool[0][1]


def _table(rows):
    t = np.log(np.asarray(rows, dtype=np.float64))
    return t


def cases():
    trap = _table([[0.1, 0.5, 0.4], [0.1, 0.45, 0.45], [0.1, 0.0001, 0.8999]])
    r = np.random.default_rng(8)
    rnd = r.random(size=(4, 4)) + 0.01
    rnd = np.log(rnd / rnd.sum(axis=1, keepdims=True))
    return {
        "basic": [(trap, 1, 3, 0)],
        "wider": [(trap, 2, 3, 0), (rnd, 3, 4, 3)],
        "eos": [(_table([[0.2, 0.45, 0.35], [0.9, 0.05, 0.05], [0.3, 0.3, 0.4]]), 2, 4, 0)],
    }
