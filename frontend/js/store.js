// sessionStorage persistence: the message log, the submitted answers, the draft and the resume keys.

const KEY = "interviewer.v1";

function read() {
  try {
    const raw = window.sessionStorage.getItem(KEY);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null; // storage disabled or corrupt: start fresh
  }
}

/** The saved interview, or an empty one. */
export function load() {
  const saved = read();
  return {
    log: Array.isArray(saved?.log) ? saved.log : [],
    answers: saved?.answers && typeof saved.answers === "object" ? saved.answers : {},
    draft: saved?.draft && typeof saved.draft === "object" ? saved.draft : null,
    pendingStart: saved?.pendingStart || null,
    resume: saved?.resume && typeof saved.resume === "object" ? saved.resume : null,
  };
}

/** Save everything: `resume` is {session_id, resume_token, last_seq}. */
export function save(data) {
  try {
    window.sessionStorage.setItem(KEY, JSON.stringify({
      log: data.log, answers: data.answers, draft: data.draft, pendingStart: data.pendingStart,
      resume: data.resume,
    }));
  } catch {
    // quota or privacy mode: the live chat still works, only reload recovery is lost
  }
}

export function clear() {
  try {
    window.sessionStorage.removeItem(KEY);
  } catch {
    // ignore: nothing to clear
  }
}
