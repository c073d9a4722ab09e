// The chat's state, all in one object: what is kept in sessionStorage (`data`), what is derived from
// it (`state`, see state.js), and the page's own bookkeeping. The chat modules read and change it here.

import { buildState } from "./state.js";
import * as store from "./store.js";

const data = store.load(); // {log, answers, draft, pendingStart, resume, asked, codes, codeDraft}

export const model = {
  data,
  state: buildState(data.log, data.answers, data.codes),
  editor: null, // the CodeEditor of coding questions (code-editor.js), made at boot
  view: null, // the ChatView of the transcript (chat-render.js), made at boot
  conn: null, // the websocket Connection, made at boot
  candidate: null, // {session} when opened from a candidate link: no start screen, no REST calls
  leaving: false, // set on the way to another interview: nothing is saved any more
  queued: null, // the last `grading.queued` for the answer being graded, until its grade
  focusedTurn: null, // the open question the answer box was last focused and filled for
  submitRetried: false, // an answer re-sent after a reconnect: its `invalid_state` is expected
  shownSummary: false,
  gradingFailures: 0,
  timers: { delta: null, save: null, tick: null },
};

/** Derive the chat again from the log and the submitted answers. */
export function rebuild() {
  model.state = buildState(model.data.log, model.data.answers, model.data.codes);
}

/** The open question's turn when its answer was submitted here and not yet accepted, else null. */
export function pendingTurn() {
  const { state, data } = model;
  return state.phase === "answering" && data.answers[String(state.openTurn)] !== undefined ? state.openTurn : null;
}

// The draft of the open question and how much of it the server has as deltas. `broken` means
// the server's copy can no longer be trusted (a reconnect, a reload, an edit before the end), so
// the submit carries the full text.
export function draftFor(turn) {
  const { data } = model;
  if (!data.draft || data.draft.turn !== turn) data.draft = { turn, text: "", sent: "", broken: false };
  return data.draft;
}

/** The open coding question's code as typed here (its starter code at first). */
export function codeDraftFor(turn, starter = "") {
  const { data } = model;
  if (!data.codeDraft || data.codeDraft.turn !== turn) data.codeDraft = { turn, text: starter };
  return data.codeDraft;
}

/** The open question asks for code (`kind_of_answer: "code"`). */
export function codeOpen() {
  const { state } = model;
  return state.phase === "answering" && state.latest?.question?.kind_of_answer === "code";
}

export function saveSoon() {
  clearTimeout(model.timers.save);
  model.timers.save = setTimeout(saveNow, 120);
}

export function saveNow() {
  clearTimeout(model.timers.save);
  if (!model.leaving) store.save(model.data);
}

/** Forget the interview held here and start over with `fields` (e.g. a pending `start`). */
export function resetInterview(fields = {}) {
  Object.assign(model.data, { log: [], answers: {}, draft: null, resume: null, asked: {}, pendingStart: null,
    codes: {}, codeDraft: null }, fields);
  rebuild();
}
