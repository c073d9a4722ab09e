// Draws the chat from the model: the transcript, the progress line, the composer, the optional timer
// and, once the interview is over, the summary with the history under it.

import { byId } from "./dom.js";
import { downloadReport, loadHistory, practise, restart } from "./chat-past.js";
import { codeDraftFor, codeOpen, draftFor, model, pendingTurn } from "./chat-model.js";
import { composerStatus, setConnection, show } from "./chat-status.js";
import * as store from "./store.js";
import { renderSummary } from "./summary.js";

export function render() {
  const { state } = model;
  show("chat");
  const pending = pendingTurn();
  model.view.render(state, pending);
  renderProgress();
  renderComposer(pending !== null);
  if (state.summary && !model.shownSummary) {
    model.shownSummary = true;
    const view = byId("summary-view");
    const candidate = model.candidate !== null;
    const heading = renderSummary(view, state.summary, {
      onReport: downloadReport, onRestart: candidate ? null : restart, onPractise: candidate ? null : practise,
    });
    view.hidden = false;
    byId("composer").hidden = true;
    byId("transcript-title").hidden = false;
    setConnection("finished");
    heading.focus();
    loadHistory();
  }
}

function renderProgress() {
  const { state, data } = model;
  const p = state.progress;
  let text = "";
  if (state.summary) text = "Finished";
  else if (p) text = `Question ${p.index} of ${p.total}${state.latest?.kind === "followup" ? " · follow-up" : ""}`;
  else if (state.session || data.pendingStart) text = "Starting…";
  byId("progress").textContent = text;
}

function renderComposer(submitting) {
  const { state, queued } = model;
  const box = byId("answer");
  const answering = state.phase === "answering" && !submitting;
  box.disabled = !answering;
  byId("submit-button").disabled = !answering;
  byId("skip-button").disabled = !answering;
  byId("end-button").disabled = state.phase === "finished" || !state.session;
  if (byId("end-button").disabled) byId("end-confirm").hidden = true;
  renderTimer(answering);
  byId("composer").dataset.turn = answering ? String(state.openTurn) : "";
  const limit = state.session?.limits?.max_answer_chars;
  if (limit) box.maxLength = limit;
  const coding = renderCodeBox(answering);
  if (answering) {
    const d = draftFor(state.openTurn);
    if (box.value !== d.text && model.focusedTurn !== state.openTurn) box.value = d.text;
    if (model.focusedTurn !== state.openTurn) {
      model.focusedTurn = state.openTurn;
      composerStatus("");
      if (coding) model.editor.focus();
      else box.focus();
    }
  } else if (queued && (state.phase === "grading" || submitting)) {
    composerStatus(`The grader is busy: your answer is number ${queued.position} in the queue `
      + `(about ${Math.max(1, Math.round(queued.eta_s))} s). It is stored; you can wait here.`);
  } else if (state.phase === "grading" || submitting) {
    composerStatus(submitting ? "Sending your answer…" : "Grading your answer…");
  } else if (state.phase === "waiting") {
    composerStatus(state.session ? "Preparing the next question…" : "Starting the interview…");
  }
}

/**
 * The code editor, "Run tests" and the run's result, shown while a coding question is open; the
 * answer box below it is then the optional explanation. Returns whether a coding question is open.
 */
function renderCodeBox(answering) {
  const { state } = model;
  const q = state.latest?.question;
  const coding = codeOpen();
  byId("code-box").hidden = !coding;
  byId("answer-label").textContent = coding ? "Explain your solution (optional)" : "Your answer";
  model.editor.setEnabled(coding && answering);
  byId("run-button").disabled = !(coding && answering);
  if (!coding) return false;
  if (byId("code-box").dataset.turn !== String(state.openTurn)) {
    byId("code-box").dataset.turn = String(state.openTurn);
    model.editor.text = codeDraftFor(state.openTurn, q.code?.starter || "").text;
    byId("code-result").textContent = "";
    const tests = q.code?.public_tests || [];
    byId("code-tests").textContent = tests.length ? `Public tests: ${tests.join(", ")}` : "";
  }
  return true;
}

/** The optional per-question timer: time since the question was first shown here. */
function renderTimer(answering) {
  const el = byId("timer");
  const since = answering ? model.data.asked[String(model.state.openTurn)] : undefined;
  const on = store.timerOn() && since !== undefined;
  el.hidden = !on;
  clearInterval(model.timers.tick);
  if (!on) return;
  const tick = () => {
    const s = Math.max(0, Math.floor((Date.now() - since) / 1000));
    el.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  };
  tick();
  model.timers.tick = setInterval(tick, 1000);
}
