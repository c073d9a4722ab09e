import numpy as np


def reference(x, n_heads, merge=False):
    if merge:
        b, h, t, dh = x.shape
        return np.ascontiguousarray(x.transpose(0, 2, 1, 3)).reshape(b, t, h * dh)
    b, t, d = x.shape
    if d % n_heads:
        raise ValueError("D must be divisible by n_heads")
    return x.reshape(b, t, n_heads, d // n_heads).transpose(0, 2, 1, 3)


def cases():
    x = np.arange(2 * 3 * 8, dtype=np.float64).reshape(2, 3, 8)
    return {
        "basic": [(x, 2)],
        "roundtrip": [(reference(x, 4), 4, True), (np.arange(24.0).reshape(1, 3, 2, 4), 3, True)],
        "invalid": [(np.zeros((1, 2, 6)), 4)],
    }
