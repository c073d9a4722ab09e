// The candidate chat: wires storage, the socket, the pure state and the views together.

import { byId, h, replaceChildren } from "./js/dom.js";
import * as past from "./js/history.js";
import { ChatView } from "./js/render.js";
import { Connection, socketUrl } from "./js/socket.js";
import { setupStart } from "./js/start.js";
import { addToLog, buildState } from "./js/state.js";
import * as store from "./js/store.js";
import { renderSummary } from "./js/summary.js";

const DELTA_DEBOUNCE_MS = 150;
const STATUS_TEXT = {
  idle: "Not connected", connecting: "Connecting…", connected: "Connected",
  reconnecting: "Reconnecting…", offline: "Offline", closed: "Disconnected", finished: "Interview finished",
};

const data = store.load(); // {log, answers, draft, pendingStart, resume}
let state = buildState(data.log, data.answers);
let chat;
let conn;
let deltaTimer = null;
let saveTimer = null;
let focusedTurn = null;
let submitRetried = false;
let shownSummary = false;
let candidate = null; // {session} when opened from a candidate link: no start screen, no REST calls
let leaving = false; // set by restart(): nothing is saved any more on the way out
let queued = null; // the last `grading.queued` for the answer being graded, until its grade
let timerTick = null;

// The draft of the open question and how much of it the server has as deltas. `broken` means
// the server's copy can no longer be trusted (a reconnect, a reload, an edit before the end), so
// the submit carries the full text.
function draftFor(turn) {
  if (!data.draft || data.draft.turn !== turn) data.draft = { turn, text: "", sent: "", broken: false };
  return data.draft;
}

function saveSoon() {
  clearTimeout(saveTimer);
  saveTimer = setTimeout(saveNow, 120);
}

function saveNow() {
  clearTimeout(saveTimer);
  if (!leaving) store.save(data);
}

// ---- status and notices ----

function setConnection(status) {
  const el = byId("connection");
  el.dataset.state = status;
  byId("connection-text").textContent = STATUS_TEXT[status] || status;
}

function notice(text, actions = []) {
  const el = byId("notice");
  if (!text) {
    el.hidden = true;
    replaceChildren(el);
    return;
  }
  replaceChildren(el, h("p", {}, text), actions.length ? h("p", { class: "actions" }, actions) : null);
  el.hidden = false;
}

function composerStatus(text) {
  byId("composer-status").textContent = text || "";
}

// ---- views ----

function show(view) {
  byId("start-view").hidden = view !== "start";
  byId("chat-view").hidden = view !== "chat";
  byId("past-view").hidden = view !== "past";
  if (view === "past") byId("history-view").hidden = true;
}

// ---- history (js/history.js): past interviews, progress, practice ----

/** Who the candidate is for the history routes: this browser's profile, or the linked session. */
function historyWho() {
  const profile = past.storedProfile();
  if (profile && !candidate) return { profile };
  if (candidate && data.resume) return { session: data.resume.session_id, token: data.resume.resume_token };
  return null;
}

async function loadHistory() {
  const who = historyWho();
  const root = byId("history-view");
  if (!who) return;
  root.setAttribute("aria-busy", "true");
  try {
    const history = await past.fetchHistory(who);
    past.renderHistory(root, history, {
      onOpen: (sid) => window.location.assign(`/?${new URLSearchParams({ past: sid })}`),
      onPractise: candidate ? null : practise,
      onForget: candidate ? null : forgetHistory,
    });
  } catch (err) {
    replaceChildren(root, h("p", { class: "muted" }, `Your history could not be loaded: ${err.message}`));
    root.hidden = false;
  } finally {
    root.removeAttribute("aria-busy");
  }
}

/** "Forget my history" asks in the page first, then revokes the profile on the server. */
function forgetHistory() {
  const button = byId("forget-history");
  const ask = h("p", { id: "forget-confirm", class: "confirm", role: "group", "aria-labelledby": "forget-text" },
    h("span", { id: "forget-text" }, "Forget your past interviews on this browser? They are unlinked on the server too. "),
    h("button", { type: "button", id: "forget-yes", class: "danger", onclick: async () => {
      await past.forgetProfile();
      const root = byId("history-view");
      replaceChildren(root);
      root.dataset.count = "0";
      root.hidden = true;
    } }, "Forget my history"),
    h("button", { type: "button", id: "forget-no", onclick: () => { ask.remove(); button.hidden = false; button.focus(); } },
      "Keep it"));
  button.hidden = true;
  button.after(ask);
  byId("forget-no").focus();
}

/** Open one past interview read-only (`/?past=<id>`). */
async function openPast(sid) {
  const who = historyWho();
  show("past");
  byId("connection").hidden = true; // no socket here: a finished interview, read-only
  byId("progress").textContent = "Past interview";
  const root = byId("past-view");
  if (!who) {
    replaceChildren(root, h("p", {}, "This browser has no history."), h("button", { type: "button", onclick: () => window.location.assign("/") }, "Back"));
    return;
  }
  try {
    const t = await past.fetchInterview(who, sid);
    const heading = past.renderPast(root, t, {
      onBack: () => window.location.assign("/"),
      onReport: (format) => past.downloadReport(who, sid, format).catch((err) => notice(err.message)),
    });
    heading.focus();
  } catch (err) {
    replaceChildren(root, h("p", {}, `This interview could not be opened: ${err.message}`),
      h("button", { type: "button", onclick: () => window.location.assign("/") }, "Back"));
  }
}

/** A new interview on exactly these questions ("practise my gaps"), from any view. */
async function practise(ids) {
  if (!ids.length) return;
  const msg = { type: "start", question_ids: ids, num_questions: ids.length, max_followups: 1 };
  const profile = await past.ensureProfile();
  if (profile) msg.profile = profile;
  if (conn) conn.drop({ stop: true });
  Object.assign(data, { log: [], answers: {}, draft: null, resume: null, asked: {}, pendingStart: msg });
  store.save(data);
  leaving = true; // the page reloads on the new interview; nothing else may overwrite it
  window.location.assign("/");
}

function downloadReport(format) {
  const who = data.resume ? { session: data.resume.session_id, token: data.resume.resume_token } : null;
  if (!who) return;
  past.downloadReport(who, who.session, format).catch((err) => notice(err.message));
}

function render() {
  show("chat");
  const pending = state.phase === "answering" && data.answers[String(state.openTurn)] !== undefined
    ? state.openTurn : null;
  chat.render(state, pending);
  renderProgress();
  renderComposer(pending !== null);
  if (state.summary && !shownSummary) {
    shownSummary = true;
    const view = byId("summary-view");
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
  const p = state.progress;
  let text = "";
  if (state.summary) text = "Finished";
  else if (p) text = `Question ${p.index} of ${p.total}${state.latest?.kind === "followup" ? " · follow-up" : ""}`;
  else if (state.session || data.pendingStart) text = "Starting…";
  byId("progress").textContent = text;
}

function renderComposer(submitting) {
  const box = byId("answer");
  const answering = state.phase === "answering" && !submitting;
  box.disabled = !answering;
  byId("submit-button").disabled = !answering;
  byId("skip-button").disabled = !answering;
  byId("end-button").disabled = state.phase === "finished" || !state.session;
  if (byId("end-button").disabled) byId("end-confirm").hidden = true;
  renderTimer(answering);
  const composer = byId("composer");
  composer.dataset.turn = answering ? String(state.openTurn) : "";
  const limit = state.session?.limits?.max_answer_chars;
  if (limit) box.maxLength = limit;
  if (answering) {
    const d = draftFor(state.openTurn);
    if (box.value !== d.text && focusedTurn !== state.openTurn) box.value = d.text;
    if (focusedTurn !== state.openTurn) {
      focusedTurn = state.openTurn;
      composerStatus("");
      box.focus();
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

/** The optional per-question timer: time since the question was first shown here. */
function renderTimer(answering) {
  const el = byId("timer");
  const since = answering ? data.asked[String(state.openTurn)] : undefined;
  const on = store.timerOn() && since !== undefined;
  el.hidden = !on;
  clearInterval(timerTick);
  if (!on) return;
  const tick = () => {
    const s = Math.max(0, Math.floor((Date.now() - since) / 1000));
    el.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  };
  tick();
  timerTick = setInterval(tick, 1000);
}

/** Say it once to screen readers (the question asked, a score). */
function announce(text) {
  byId("announcer").textContent = text;
}

// ---- server messages ----

function onMessage(msg) {
  const seq = typeof msg.seq === "number" ? msg.seq : 0;
  if (data.resume && seq > data.resume.last_seq) data.resume.last_seq = seq;
  if (msg.type === "pong") return saveSoon();
  if (msg.type === "error") return onError(msg);
  if (msg.type === "session") {
    data.resume = { session_id: msg.session_id, resume_token: msg.resume_token, last_seq: seq };
    data.pendingStart = null;
  }
  if (!addToLog(data.log, msg)) return;
  if (msg.type === "grade") gradingFailures = 0;
  if (msg.type === "grading.queued") queued = msg;
  else if ((msg.type === "feedback.delta" || msg.type === "grade") && queued?.turn === msg.turn) queued = null;
  if (msg.type === "question" && data.asked[String(msg.turn)] === undefined) data.asked[String(msg.turn)] = Date.now();
  if (msg.type === "question") announce(`${msg.kind === "followup" ? "Follow-up question" : `Question ${msg.index} of ${msg.total}`}: ${msg.text}`);
  if (msg.type === "grade") announce(`Graded: ${msg.score} out of 100.`);
  const before = state.latest?.turn;
  state = buildState(data.log, data.answers);
  if (msg.type === "answer.accepted" && data.draft && data.draft.turn === msg.turn) {
    data.draft = null;
    byId("answer").value = "";
  }
  if (msg.type === "question" && state.latest?.turn !== before) notice("");
  render();
  if (msg.type === "feedback.delta") saveSoon();
  else saveNow();
}

const ERROR_TEXT = {
  empty_answer: "Type an answer first, or skip the question.",
  answer_too_long: null,
  rate_limited: "You are typing faster than the server accepts; your draft is kept.",
};

function onError(msg) {
  switch (msg.code) {
    case "session_not_found":
    case "session_deleted":
    case "unauthorized":
      conn.drop({ stop: true });
      notice(candidate ? "This interview link is no longer valid (the interview was cancelled, or the link "
        + "is wrong). Ask whoever sent it for a new one." : "This interview can no longer be resumed.", restartActions());
      return;
    case "superseded":
      return onFinalClose(4409);
    case "no_questions":
    case "bad_request":
      conn.drop({ stop: true });
      data.pendingStart = null;
      saveNow();
      show("start");
      notice(msg.message);
      return;
    case "invalid_state":
      if (submitRetried) return; // our re-sent submit after a reconnect: already accepted
      composerStatus(msg.message);
      return;
    case "grading_failed":
      return onGradingFailed();
    case "finished":
      return;
    default:
      if (msg.code === "answer_too_long" && data.draft) data.draft.broken = true;
      composerStatus(ERROR_TEXT[msg.code] || msg.message);
      if (state.phase === "answering" && data.answers[String(state.openTurn)] !== undefined
          && ["empty_answer", "answer_too_long", "invalid_message", "message_too_large"].includes(msg.code)) {
        delete data.answers[String(state.openTurn)]; // not accepted: let the candidate edit and retry
        state = buildState(data.log, data.answers);
        focusedTurn = null;
        render();
        saveNow();
      }
  }
}

// A resume makes the server grade a stored, ungraded answer again: retry a few times with backoff,
// then leave it to the candidate.
let gradingFailures = 0;
const GRADING_RETRIES = 3;

function onGradingFailed() {
  gradingFailures += 1;
  if (gradingFailures > GRADING_RETRIES) {
    composerStatus("");
    notice("Grading failed. Your answer is stored; try again in a moment.", [
      h("button", { type: "button", onclick: () => { gradingFailures = 0; notice(""); conn.drop(); } }, "Retry grading")]);
    return;
  }
  composerStatus("Grading failed; retrying…");
  setTimeout(() => conn.drop(), 2000 * 2 ** (gradingFailures - 1));
}

function onOpen(opens) {
  submitRetried = false;
  if (data.resume) {
    conn.send({ type: "resume", ...data.resume });
    const open = state.phase === "answering" ? state.openTurn : null;
    if (open !== null) {
      const d = draftFor(open);
      if (d.sent) d.broken = true; // the server may hold only part of what we streamed
      const submitted = data.answers[String(open)];
      if (submitted !== undefined) {
        submitRetried = true;
        conn.send({ type: "answer.submit", text: submitted });
      }
    }
    saveNow();
  } else if (data.pendingStart) {
    conn.send(data.pendingStart);
  }
  if (opens > 1) notice("");
}

function onFinalClose(code) {
  if (code === 4409) {
    setConnection("closed");
    notice("This interview was opened in another tab or window, which now has it.", [
      h("button", { type: "button", onclick: () => { notice(""); conn.connect(); } }, "Continue here")]);
  } else {
    setConnection("closed");
    notice(code === 4410 ? "This interview was cancelled by whoever set it up."
      : "This interview can no longer be resumed.", restartActions());
  }
}

// ---- candidate actions ----

function sendDelta() {
  clearTimeout(deltaTimer);
  if (state.phase !== "answering" || data.answers[String(state.openTurn)] !== undefined) return;
  const d = draftFor(state.openTurn);
  if (d.broken) return;
  if (!d.text.startsWith(d.sent)) {
    d.broken = true; // an edit before the end: the submit will carry the full text
    return;
  }
  const add = d.text.slice(d.sent.length);
  if (add && conn.send({ type: "answer.delta", text: add })) d.sent = d.text;
}

function onInput() {
  if (state.phase !== "answering") return;
  draftFor(state.openTurn).text = byId("answer").value;
  saveSoon();
  clearTimeout(deltaTimer);
  deltaTimer = setTimeout(sendDelta, DELTA_DEBOUNCE_MS);
}

function submitAnswer() {
  if (state.phase !== "answering" || data.answers[String(state.openTurn)] !== undefined) return;
  const turn = state.openTurn;
  const d = draftFor(turn);
  d.text = byId("answer").value;
  if (!d.text.trim()) {
    composerStatus(ERROR_TEXT.empty_answer);
    byId("answer").focus();
    return;
  }
  sendDelta();
  const full = d.broken || d.sent !== d.text;
  data.answers[String(turn)] = d.text;
  submitRetried = false;
  // When the socket is down the answer is kept and sent (with its text) after the resume.
  if (conn.send(full ? { type: "answer.submit", text: d.text } : { type: "answer.submit" })) {
    composerStatus("Sending your answer…");
  } else {
    composerStatus("Offline: your answer is saved and will be sent when the connection is back.");
  }
  state = buildState(data.log, data.answers);
  render();
  saveNow();
}

function simple(type, confirmText) {
  if (!conn.send({ type })) {
    composerStatus("Not connected: try again when the connection is back.");
    return;
  }
  composerStatus(confirmText);
}

function restartActions() {
  return candidate ? [] : [h("button", { type: "button", onclick: restart }, "Start a new interview")];
}

function restart() {
  if (conn) conn.drop({ stop: true });
  // `pagehide` saves on the way out: without this the finished interview came back after "/".
  leaving = true;
  clearTimeout(saveTimer);
  store.clear();
  window.location.assign("/");
}

/** The start form's `start`, joined to this browser's history (a profile, created on first use). */
async function begin(msg) {
  const profile = await past.ensureProfile();
  startInterview(profile ? { ...msg, profile } : msg);
}

function startInterview(msg) {
  byId("history-view").hidden = true;
  data.pendingStart = msg;
  data.log = [];
  data.answers = {};
  data.draft = null;
  data.resume = null;
  data.asked = {};
  saveNow();
  state = buildState(data.log, data.answers);
  notice("");
  render();
  conn.connect();
}

function askToEnd() {
  if (byId("end-button").disabled) return;
  byId("end-confirm").hidden = false;
  byId("end-no").focus();
}

function keepGoing() {
  byId("end-confirm").hidden = true;
  byId(byId("answer").disabled ? "end-button" : "answer").focus();
}

/** Alt+Shift+S skips, Alt+Shift+E asks to end, Esc closes that question (listed in the page). */
function onShortcut(ev) {
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

// ---- candidate links ----

/** `/?session=<id>#token=<token>` (a partner's or recruiter's `candidate_url`), or null. */
function readCandidateLink(loc = window.location) {
  const session = new URLSearchParams(loc.search).get("session");
  if (!session) return null;
  return { session, token: new URLSearchParams(loc.hash.slice(1)).get("token") };
}

/**
 * Join the linked session over the socket with its candidate token (`start` with `session_id` and
 * `token`); after that the stored resume keys carry on, as for any interview. The token leaves the
 * address bar (and the history) at once. Returns false when the link cannot be used.
 */
function openCandidateLink(link) {
  candidate = { session: link.session };
  history.replaceState(null, "", `/?${new URLSearchParams({ session: link.session })}`);
  const same = data.resume?.session_id === link.session || data.pendingStart?.session_id === link.session;
  if (link.token && !same) {
    startInterview({ type: "start", session_id: link.session, token: link.token });
    return true;
  }
  if (same) {
    render();
    if (!state.summary) conn.connect();
    return true;
  }
  show("chat");
  byId("composer").hidden = true;
  notice("This interview link is incomplete: open the whole link you were sent (it ends with #token=…).");
  return false;
}

// ---- boot ----

function boot() {
  chat = new ChatView(byId("chat"));
  conn = new Connection(socketUrl(), {
    onOpen, onMessage, onFinalClose,
    onStatus: (s) => { if (!state.summary) setConnection(s); },
  });
  window.__interviewer = { conn, data, get state() { return state; } }; // for tests and debugging

  const box = byId("answer");
  box.addEventListener("input", onInput);
  box.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      submitAnswer();
    }
  });
  byId("composer").addEventListener("submit", (ev) => {
    ev.preventDefault();
    submitAnswer();
  });
  byId("skip-button").addEventListener("click", () => simple("skip", "Skipped."));
  byId("end-button").addEventListener("click", askToEnd);
  byId("end-yes").addEventListener("click", () => {
    byId("end-confirm").hidden = true;
    simple("end", "Ending the interview…");
  });
  byId("end-no").addEventListener("click", keepGoing);
  document.addEventListener("keydown", onShortcut);
  const timerBox = byId("timer-on");
  timerBox.checked = store.timerOn();
  timerBox.addEventListener("change", () => store.setTimerOn(timerBox.checked));
  window.addEventListener("pagehide", saveNow);

  const link = readCandidateLink();
  if (link) {
    openCandidateLink(link);
    return;
  }
  const pastId = new URLSearchParams(window.location.search).get("past");
  if (pastId) {
    openPast(pastId);
    return;
  }
  setupStart(begin);
  if (data.resume || data.pendingStart) {
    render(); // restore the whole chat from storage at once, then resume
    if (!state.summary) conn.connect();
  } else {
    show("start");
    loadHistory();
  }
}

boot();
