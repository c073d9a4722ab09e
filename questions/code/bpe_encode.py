def reference(word, merges):
    rank = {(a, b): i for i, (a, b) in enumerate(merges)}
    syms = list(word)
    while len(syms) > 1:
        pairs = [(rank[p], p) for p in zip(syms, syms[1:]) if p in rank]
        if not pairs:
            break
        best = min(pairs)[1]
        out, i = [], 0
        while i < len(syms):
            if i + 1 < len(syms) and (syms[i], syms[i + 1]) == best:
                out.append(syms[i] + syms[i + 1])
                i += 2
            else:
                out.append(syms[i])
                i += 1
        syms = out
    return syms


def cases():
    merges = [["e", "s"], ["es", "t"], ["l", "o"], ["lo", "w"], ["n", "e"], ["ne", "w"]]
    return {
        "basic": [("lowest", merges)],
        "priority": [("abc", [["b", "c"], ["a", "b"]]), ("newest", merges)],
        "edge": [("", merges), ("x", merges), ("zzlow", merges)],
    }
