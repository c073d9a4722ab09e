// What the candidate does: type (streamed as deltas), submit, skip, end, start an interview, and the
// keyboard shortcuts.

import { byId } from "./dom.js";
import { ensureProfile } from "./history.js";
import { ERROR_TEXT } from "./chat-messages.js";
import { codeDraftFor, codeOpen, draftFor, model, rebuild, resetInterview, saveNow, saveSoon } from "./chat-model.js";
import { render } from "./chat-render.js";
import { composerStatus, notice } from "./chat-status.js";

const DELTA_DEBOUNCE_MS = 150;

function answering() {
  const { state, data } = model;
  return state.phase === "answering" && data.answers[String(state.openTurn)] === undefined;
}

function sendDelta() {
  clearTimeout(model.timers.delta);
  if (!answering()) return;
  const d = draftFor(model.state.openTurn);
  if (d.broken) return;
  if (!d.text.startsWith(d.sent)) {
    d.broken = true; // an edit before the end: the submit will carry the full text
    return;
  }
  const add = d.text.slice(d.sent.length);
  if (add && model.conn.send({ type: "answer.delta", text: add })) d.sent = d.text;
}

export function onInput() {
  if (model.state.phase !== "answering") return;
  draftFor(model.state.openTurn).text = byId("answer").value;
  saveSoon();
  clearTimeout(model.timers.delta);
  model.timers.delta = setTimeout(sendDelta, DELTA_DEBOUNCE_MS);
}

export function submitAnswer() {
  if (!answering()) return;
  if (codeOpen()) {
    submitCode();
    return;
  }
  const turn = model.state.openTurn;
  const d = draftFor(turn);
  d.text = byId("answer").value;
  if (!d.text.trim()) {
    composerStatus(ERROR_TEXT.empty_answer);
    byId("answer").focus();
    return;
  }
  sendDelta();
  const full = d.broken || d.sent !== d.text;
  model.data.answers[String(turn)] = d.text;
  model.submitRetried = false;
  // When the socket is down the answer is kept and sent (with its text) after the resume.
  if (model.conn.send(full ? { type: "answer.submit", text: d.text } : { type: "answer.submit" })) {
    composerStatus("Sending your answer…");
  } else {
    composerStatus("Offline: your answer is saved and will be sent when the connection is back.");
  }
  rebuild();
  render();
  saveNow();
}

/** The code editor changed: keep the code as the open question's draft. */
export function onCodeInput(text) {
  if (!codeOpen()) return;
  codeDraftFor(model.state.openTurn).text = text;
  saveSoon();
}

/** "Run tests": the code against the public tests (`code.run`); `code.result` answers. */
export function runCode() {
  if (!answering() || !codeOpen()) return;
  const code = model.editor.text;
  if (!code.trim()) {
    byId("code-result").textContent = "Write some code first.";
    return;
  }
  if (model.conn.send({ type: "code.run", code })) {
    byId("run-button").disabled = true;
    byId("code-result").textContent = "Running the public tests…";
  } else {
    byId("code-result").textContent = "Not connected: try again when the connection is back.";
  }
}

/** A coding question's answer: the code (required) and the explanation typed below it (optional). */
function submitCode() {
  const turn = model.state.openTurn;
  const code = model.editor.text;
  if (!code.trim()) {
    composerStatus("Write your code first, or skip the question.");
    model.editor.focus();
    return;
  }
  const d = draftFor(turn);
  d.text = byId("answer").value;
  model.data.answers[String(turn)] = d.text;
  model.data.codes[String(turn)] = code;
  model.submitRetried = false;
  if (model.conn.send({ type: "answer.submit", code, text: d.text })) {
    composerStatus("Sending your code…");
  } else {
    composerStatus("Offline: your code is saved and will be sent when the connection is back.");
  }
  rebuild();
  render();
  saveNow();
}

/** A message without a body (`skip`, `end`), with a status line once it is sent. */
export function simple(type, confirmText) {
  if (!model.conn.send({ type })) {
    composerStatus("Not connected: try again when the connection is back.");
    return;
  }
  composerStatus(confirmText);
}

/** The start form's `start`, joined to this browser's history (a profile, created on first use). */
export async function begin(msg) {
  const profile = await ensureProfile();
  startInterview(profile ? { ...msg, profile } : msg);
}

export function startInterview(msg) {
  byId("history-view").hidden = true;
  resetInterview({ pendingStart: msg });
  saveNow();
  notice("");
  render();
  model.conn.connect();
}

export function askToEnd() {
  if (byId("end-button").disabled) return;
  byId("end-confirm").hidden = false;
  byId("end-no").focus();
}

export function keepGoing() {
  byId("end-confirm").hidden = true;
  byId(byId("answer").disabled ? "end-button" : "answer").focus();
}

/** Alt+Shift+S skips, Alt+Shift+E asks to end, Esc closes that question (listed in the page). */
export function onShortcut(ev) {
  if (byId("chat-view").hidden || byId("composer").hidden) return;
  if (ev.key === "Escape" && !byId("end-confirm").hidden) {
    ev.preventDefault();
    keepGoing();
    return;
  }
  if (!ev.altKey || !ev.shiftKey || ev.ctrlKey || ev.metaKey) return;
  if (ev.code === "KeyS" && !byId("skip-button").disabled) {
    ev.preventDefault();
    simple("skip", "Skipped.");
  } else if (ev.code === "KeyE") {
    ev.preventDefault();
    askToEnd();
  }
}
