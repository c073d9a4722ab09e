def _merge(symbols, pair):
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(symbols[i] + symbols[i + 1])
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def reference(words, num_merges):
    corpus = {w: list(w) for w in words}
    merges = []
    for _ in range(num_merges):
        counts = {}
        for w, syms in corpus.items():
            for a, b in zip(syms, syms[1:]):
                counts[(a, b)] = counts.get((a, b), 0) + words[w]
        if not counts:
            break
        best = min(counts, key=lambda pair: (-counts[pair], pair))
        merges.append([best[0], best[1]])
        corpus = {w: _merge(s, best) for w, s in corpus.items()}
    return merges


def cases():
    return {
        "basic": [({"low": 5, "lower": 2, "newest": 6, "widest": 3}, 5)],
        "ties": [({"aaa": 2, "ab": 1}, 3), ({"ba": 1, "ab": 1}, 1)],
        "exhaust": [({"abc": 1}, 10)],
    }
