// sessionStorage persistence: the message log, the submitted answers (and code), the drafts, the resume
// keys and when each question was first shown (for the optional timer).

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
    asked: saved?.asked && typeof saved.asked === "object" ? saved.asked : {},
    codes: saved?.codes && typeof saved.codes === "object" ? saved.codes : {},
    codeDraft: saved?.codeDraft && typeof saved.codeDraft === "object" ? saved.codeDraft : null,
  };
}

/** Save everything: `resume` is {session_id, resume_token, last_seq}. */
export function save(data) {
  try {
    window.sessionStorage.setItem(KEY, JSON.stringify({
      log: data.log, answers: data.answers, draft: data.draft, pendingStart: data.pendingStart,
      resume: data.resume, asked: data.asked, codes: data.codes, codeDraft: data.codeDraft,
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

const TIMER_KEY = "interviewer.timer";

/** The candidate's choice to show a per-question timer (off unless chosen; kept in localStorage). */
export function timerOn() {
  try {
    return window.localStorage.getItem(TIMER_KEY) === "on";
  } catch {
    return false;
  }
}

export function setTimerOn(on) {
  try {
    if (on) window.localStorage.setItem(TIMER_KEY, "on");
    else window.localStorage.removeItem(TIMER_KEY);
  } catch {
    // storage disabled: the choice lasts for this page
  }
}
