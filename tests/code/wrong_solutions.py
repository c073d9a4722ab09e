"""A plausible but wrong solution per bank problem (each must fail at least one test group)."""

WRONG = {
    "code-attention": """
        import numpy as np

        def attention(q, k, v, causal=False):  # unstable softmax: overflows on large logits
            s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
            if causal:
                t, n = s.shape[-2], s.shape[-1]
                s = np.where(np.arange(n)[None, :] <= np.arange(t)[:, None] + (n - t), s, -np.inf)
            w = np.exp(s)
            return w / w.sum(axis=-1, keepdims=True) @ v
    """,
    "code-rmsnorm": """
        import numpy as np

        def norm(x, weight, kind, eps=1e-5):  # subtracts the mean for RMSNorm too
            mu = x.mean(axis=-1, keepdims=True)
            if kind == "rms":
                return (x - mu) / np.sqrt(np.mean((x - mu) ** 2, axis=-1, keepdims=True) + eps) * weight
            return (x - mu) / np.sqrt(x.var(axis=-1, keepdims=True) + eps) * weight
    """,
}
