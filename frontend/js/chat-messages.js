// What the chat does with the socket: each server message and error, (re)opening and final closes.

import { byId, h, replaceChildren } from "./dom.js";
import { restartActions } from "./chat-past.js";
import { draftFor, model, pendingTurn, rebuild, saveNow, saveSoon } from "./chat-model.js";
import { render } from "./chat-render.js";
import { announce, composerStatus, notice, setConnection, show } from "./chat-status.js";
import { addToLog } from "./state.js";

export const ERROR_TEXT = {
  empty_answer: "Type an answer first, or skip the question.",
  answer_too_long: null,
  rate_limited: "You are typing faster than the server accepts; your draft is kept.",
};

// A resume makes the server grade a stored, ungraded answer again: retry a few times with backoff,
// then leave it to the candidate.
const GRADING_RETRIES = 3;

export function onMessage(msg) {
  const { data } = model;
  const seq = typeof msg.seq === "number" ? msg.seq : 0;
  if (data.resume && seq > data.resume.last_seq) data.resume.last_seq = seq;
  if (msg.type === "pong") return saveSoon();
  if (msg.type === "error") return onError(msg);
  if (msg.type === "code.result") return showCodeResult(msg);
  if (msg.type === "session") {
    data.resume = { session_id: msg.session_id, resume_token: msg.resume_token, last_seq: seq };
    data.pendingStart = null;
  }
  if (!addToLog(data.log, msg)) return;
  if (msg.type === "grade") model.gradingFailures = 0;
  if (msg.type === "grading.queued") model.queued = msg;
  else if ((msg.type === "feedback.delta" || msg.type === "grade") && model.queued?.turn === msg.turn) model.queued = null;
  if (msg.type === "question" && data.asked[String(msg.turn)] === undefined) data.asked[String(msg.turn)] = Date.now();
  if (msg.type === "question") announce(`${msg.kind === "followup" ? "Follow-up question" : `Question ${msg.index} of ${msg.total}`}: ${msg.text}`);
  if (msg.type === "grade") announce(`Graded: ${msg.score} out of 100.`);
  const before = model.state.latest?.turn;
  rebuild();
  if (msg.type === "answer.accepted" && data.draft && data.draft.turn === msg.turn) {
    data.draft = null;
    byId("answer").value = "";
  }
  if (msg.type === "question" && model.state.latest?.turn !== before) notice("");
  render();
  if (msg.type === "feedback.delta") saveSoon();
  else saveNow();
  return undefined;
}

function onError(msg) {
  const { conn, data } = model;
  switch (msg.code) {
    case "session_not_found":
    case "session_deleted":
    case "unauthorized":
      conn.drop({ stop: true });
      notice(model.candidate ? "This interview link is no longer valid (the interview was cancelled, or the link "
        + "is wrong). Ask whoever sent it for a new one." : "This interview can no longer be resumed.", restartActions());
      return;
    case "superseded":
      onFinalClose(4409);
      return;
    case "no_questions":
    case "bad_request":
      conn.drop({ stop: true });
      data.pendingStart = null;
      saveNow();
      show("start");
      notice(msg.message);
      return;
    case "invalid_state":
      if (model.submitRetried) return; // our re-sent submit after a reconnect: already accepted
      composerStatus(msg.message);
      return;
    case "grading_failed":
      onGradingFailed();
      return;
    case "finished":
      return;
    default:
      if (msg.code === "answer_too_long" && data.draft) data.draft.broken = true;
      composerStatus(ERROR_TEXT[msg.code] || msg.message);
      if (pendingTurn() !== null
          && ["empty_answer", "answer_too_long", "invalid_message", "message_too_large"].includes(msg.code)) {
        delete data.answers[String(model.state.openTurn)]; // not accepted: let the candidate edit and retry
        delete data.codes[String(model.state.openTurn)];
        rebuild();
        model.focusedTurn = null;
        render();
        saveNow();
      }
  }
}

const RUN_STATUS = {
  passed: "All public tests passed.", failed: "Some public tests failed.",
  timeout: "The run hit its time limit.", memory: "The run hit its memory limit.",
  output_limit: "The code printed more than the output limit.", crashed: "The interpreter crashed.",
  error: "The code did not load.",
};

/** A `code.result`: the public test groups, pass or fail with the reason, and what the code printed. */
function showCodeResult(msg) {
  byId("run-button").disabled = !(model.state.phase === "answering");
  const box = byId("code-result");
  if (msg.turn !== model.state.openTurn) return;
  if (msg.error) {
    replaceChildren(box, h("p", { class: "run-error", "data-error": msg.error },
      msg.error === "busy" ? "A run is still in progress; wait for its result." : msg.message));
    return;
  }
  const groups = msg.groups.map((g) => h("li", { class: g.ok ? "run-ok" : "run-fail", "data-group": g.name },
    `${g.ok ? "✓" : "✗"} ${g.name}: ${g.passed}/${g.total} passed`, g.reason ? ` (${g.reason})` : ""));
  replaceChildren(box,
    h("p", { class: "run-status", "data-status": msg.status }, RUN_STATUS[msg.status] || msg.status),
    h("ul", { class: "run-groups" }, groups),
    msg.detail ? h("p", { class: "note" }, msg.detail) : null,
    msg.output ? h("pre", { class: "run-output" }, msg.output) : null);
}

function onGradingFailed() {
  model.gradingFailures += 1;
  if (model.gradingFailures > GRADING_RETRIES) {
    composerStatus("");
    notice("Grading failed. Your answer is stored; try again in a moment.", [
      h("button", { type: "button", onclick: () => { model.gradingFailures = 0; notice(""); model.conn.drop(); } },
        "Retry grading")]);
    return;
  }
  composerStatus("Grading failed; retrying…");
  setTimeout(() => model.conn.drop(), 2000 * 2 ** (model.gradingFailures - 1));
}

export function onOpen(opens) {
  const { conn, data, state } = model;
  model.submitRetried = false;
  if (data.resume) {
    conn.send({ type: "resume", ...data.resume });
    const open = state.phase === "answering" ? state.openTurn : null;
    if (open !== null) {
      const d = draftFor(open);
      if (d.sent) d.broken = true; // the server may hold only part of what we streamed
      const submitted = data.answers[String(open)];
      if (submitted !== undefined) {
        model.submitRetried = true;
        const code = data.codes[String(open)];
        conn.send(typeof code === "string" ? { type: "answer.submit", code, text: submitted }
          : { type: "answer.submit", text: submitted });
      }
    }
    saveNow();
  } else if (data.pendingStart) {
    conn.send(data.pendingStart);
  }
  if (opens > 1) notice("");
}

export function onFinalClose(code) {
  setConnection("closed");
  if (code === 4409) {
    notice("This interview was opened in another tab or window, which now has it.", [
      h("button", { type: "button", onclick: () => { notice(""); model.conn.connect(); } }, "Continue here")]);
  } else {
    notice(code === 4410 ? "This interview was cancelled by whoever set it up."
      : "This interview can no longer be resumed.", restartActions());
  }
}
