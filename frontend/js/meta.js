// The server's constants (GET /v1/meta): companies, topics, difficulties, verdicts, grade flags with
// their labels, and limits. Each page's entry module loads them once before anything is drawn, so the
// pages keep no copy of a backend list that could drift.

/** Filled once by loadMeta(); read-only afterwards. Empty lists until then (or when it failed). */
export const meta = {
  loaded: false, version: "", protocol: 0, companies: [], topics: [], difficulties: [], verdicts: [],
  max_questions: 0, default_num_questions: 0, max_answer_chars: 0, flags: [],
};

const TRIES = 5;

/** GET /v1/meta, retried with backoff (0.5 s doubling); on failure the pages show raw names. */
export async function loadMeta() {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const res = await fetch("/v1/meta", { headers: { Accept: "application/json" } });
      if (res.ok) return Object.assign(meta, await res.json(), { loaded: true });
    } catch {
      // offline or the server restarting: try again
    }
    if (attempt >= TRIES) return meta;
    await new Promise((resolve) => { setTimeout(resolve, 250 * 2 ** attempt); });
  }
}
