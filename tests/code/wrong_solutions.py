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
    "code-mha-heads": """
        import numpy as np

        def split_heads(x, n_heads, merge=False):  # bare reshapes: mixes features across heads
            if merge:
                b, h, t, dh = x.shape
                return x.reshape(b, t, h * dh)
            b, t, d = x.shape
            return x.reshape(b, n_heads, t, d // n_heads)
    """,
    "code-kv-cache": """
        import numpy as np

        def decode_step(x, wq, wk, wv, k_cache, v_cache):  # attends over the old cache only
            q, k, v = x @ wq, x @ wk, x @ wv
            keys = np.concatenate([k_cache, k[None, :]])
            values = np.concatenate([v_cache, v[None, :]])
            if len(k_cache) == 0:
                return v, keys, values
            s = k_cache @ q / np.sqrt(len(q))
            w = np.exp(s - s.max())
            return (w / w.sum()) @ v_cache, keys, values
    """,
    "code-rope": """
        import numpy as np

        def rope(x, positions, base=10000.0):  # rotates the two halves, not adjacent pairs
            t, d = x.shape
            h = d // 2
            ang = np.asarray(positions)[:, None] * base ** (-np.arange(0, d, 2) / d)[None, :]
            a, b = x[:, :h], x[:, h:]
            return np.concatenate([a * np.cos(ang) - b * np.sin(ang), a * np.sin(ang) + b * np.cos(ang)], 1)
    """,
    "code-sampling": """
        import numpy as np

        def next_token_probs(logits, temperature=1.0, top_k=0, top_p=1.0):  # top-p drops the crossing token
            if temperature == 0:
                out = np.zeros(len(logits)); out[np.argmax(logits)] = 1.0
                return out
            z = np.asarray(logits, float) / temperature
            p = np.exp(z - z.max()); p /= p.sum()
            order = np.argsort(-p, kind="stable")
            if top_k > 0:
                p[order[top_k:]] = 0
            cum = np.cumsum(p[order])
            p[order[cum > top_p]] = 0
            if p.sum() == 0:
                p[order[0]] = 1
            return p / p.sum()
    """,
    "code-label-smoothing": """
        import numpy as np

        def smoothed_cross_entropy(logits, targets, smoothing=0.0, ignore_index=-100):  # averages over all rows
            z = logits - logits.max(axis=1, keepdims=True)
            logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            t = np.where(targets == ignore_index, 0, targets)
            loss = (1 - smoothing) * -logp[np.arange(len(t)), t] + smoothing * -logp.mean(axis=1)
            loss = np.where(targets == ignore_index, 0.0, loss)
            return float(loss.mean())
    """,
    "code-lora": """
        import numpy as np

        def lora(x, w, a, b, alpha, merge=False):  # forgets the alpha / r scale
            if merge:
                return w + b @ a
            return x @ w.T + (x @ a.T) @ b.T
    """,
    "code-speculative": """
        import numpy as np

        def verify(draft_tokens, q, p, u):  # resamples from p instead of the residual
            for i, x in enumerate(draft_tokens):
                if not u[i] < min(1.0, p[i, x] / q[i, x]):
                    return i, p[i]
            return len(draft_tokens), p[len(draft_tokens)]
    """,
    "code-beam-search": """
        import numpy as np

        def beam_search(logprobs, beam, length, eos):  # greedy whatever the beam
            seq, last = [], 0
            for _ in range(length):
                last = int(np.argmax(logprobs[last]))
                seq.append(last)
                if last == eos:
                    break
            return seq
    """,
    "code-bpe-train": """
        def train_bpe(words, num_merges):  # counts each word once, ignoring its frequency
            corpus = {w: list(w) for w in words}
            merges = []
            for _ in range(num_merges):
                counts = {}
                for syms in corpus.values():
                    for pair in zip(syms, syms[1:]):
                        counts[pair] = counts.get(pair, 0) + 1
                if not counts:
                    break
                best = min(counts, key=lambda pair: (-counts[pair], pair))
                merges.append(list(best))
                new = {}
                for w, syms in corpus.items():
                    out, i = [], 0
                    while i < len(syms):
                        if i + 1 < len(syms) and (syms[i], syms[i + 1]) == best:
                            out.append(syms[i] + syms[i + 1]); i += 2
                        else:
                            out.append(syms[i]); i += 1
                    new[w] = out
                corpus = new
            return merges
    """,
    "code-bpe-encode": """
        def bpe_encode(word, merges):  # applies merges left to right in the word, ignoring their rank
            pairs = {tuple(m) for m in merges}
            syms = list(word)
            changed = True
            while changed:
                changed = False
                for i in range(len(syms) - 1):
                    if (syms[i], syms[i + 1]) in pairs:
                        syms[i:i + 2] = [syms[i] + syms[i + 1]]
                        changed = True
                        break
            return syms
    """,
}
