// The chat as a pure function of the message log: reload, reconnect and live updates share it.
//
// `log` holds every received server message with a seq (deduplicated, ordered); `answers` maps a
// turn to the text this browser submitted for it (the server does not echo answers back).

/** Insert `msg` into the ordered, seq-unique `log`; returns false when it was already there. */
export function addToLog(log, msg) {
  if (typeof msg.seq !== "number" || msg.seq <= 0) return false;
  let i = log.length;
  while (i > 0 && log[i - 1].seq > msg.seq) i -= 1;
  if (i > 0 && log[i - 1].seq === msg.seq) return false;
  log.splice(i, 0, msg);
  return true;
}

export function lastSeq(log) {
  return log.length ? log[log.length - 1].seq : 0;
}

function newTurn(q) {
  return {
    turn: q.turn, question: q, kind: q.kind, index: q.index, total: q.total,
    accepted: null, feedback: "", grade: null, answer: null, code: null, skipped: false, followups: [],
  };
}

/** Derive everything the UI shows from the log. */
export function buildState(log, answers = {}, codes = {}) {
  const state = {
    session: null, turns: new Map(), threads: [], summary: null, latest: null,
    progress: null, phase: "idle", openTurn: null,
  };
  for (const m of log) {
    switch (m.type) {
      case "session":
        state.session = m;
        break;
      case "question": {
        if (state.turns.has(m.turn)) break;
        const t = newTurn(m);
        state.turns.set(m.turn, t);
        if (m.kind === "followup") {
          const parent = state.threads.find((p) => p.index === m.index) || state.threads[state.threads.length - 1];
          if (parent) parent.followups.push(t);
          else state.threads.push(t);
        } else {
          state.threads.push(t);
        }
        state.latest = t;
        state.progress = { index: m.index, total: m.total };
        break;
      }
      case "answer.accepted": {
        const t = state.turns.get(m.turn);
        if (t) t.accepted = m;
        break;
      }
      case "feedback.delta": {
        const t = state.turns.get(m.turn);
        if (t && !t.grade) t.feedback += m.text;
        break;
      }
      case "grade": {
        const t = state.turns.get(m.turn);
        if (t && (!t.grade || (m.revision || 1) >= (t.grade.revision || 1))) {
          t.grade = m;
          t.feedback = m.feedback || "";
        }
        break;
      }
      case "summary":
        state.summary = m;
        break;
      default:
        break; // clients ignore what they do not know
    }
  }
  for (const t of state.turns.values()) {
    const local = answers[String(t.turn)];
    t.answer = typeof local === "string" ? local : null;
    const code = codes[String(t.turn)];
    t.code = typeof code === "string" ? code : null;
    const later = state.latest && state.latest.turn > t.turn;
    t.skipped = !t.accepted && (later || !!state.summary);
  }
  state.phase = phaseOf(state);
  if (state.phase === "answering") state.openTurn = state.latest.turn;
  return state;
}

function phaseOf(state) {
  if (state.summary) return "finished";
  const t = state.latest;
  if (!t) return state.session ? "waiting" : "idle";
  if (!t.accepted) return "answering";
  if (!t.grade) return "grading";
  return "waiting"; // graded: the next question or a follow-up is on its way
}

/**
 * Split `text` at the evidence offsets of `criteria` into segments {text, ids}.
 * Offsets count Unicode code points (the server is Python), so split by code point, not UTF-16 unit.
 */
export function evidenceSegments(text, criteria) {
  const chars = Array.from(text);
  const spans = [];
  for (const c of criteria || []) {
    const ev = c.evidence;
    if (!ev || typeof ev.start !== "number" || typeof ev.end !== "number") continue;
    const start = Math.max(0, Math.min(chars.length, ev.start));
    const end = Math.max(start, Math.min(chars.length, ev.end));
    if (end > start) spans.push({ start, end, id: c.id });
  }
  const cuts = new Set([0, chars.length]);
  for (const s of spans) { cuts.add(s.start); cuts.add(s.end); }
  const points = [...cuts].sort((a, b) => a - b);
  const out = [];
  for (let i = 0; i < points.length - 1; i += 1) {
    const a = points[i];
    const b = points[i + 1];
    const ids = spans.filter((s) => s.start <= a && s.end >= b).map((s) => s.id);
    out.push({ text: chars.slice(a, b).join(""), ids });
  }
  return out;
}

/** Does the evidence fit the text we hold? (it may not if deltas were lost and chars differ) */
export function answerMatches(turn) {
  if (turn.answer === null) return false;
  if (!turn.accepted) return true;
  const code = turn.code === null ? 0 : Array.from(turn.code).length; // a code answer counts its code too
  return Array.from(turn.answer).length === turn.accepted.chars - code;
}
