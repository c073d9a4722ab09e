// Entry of the candidate chat (index.html): loads the server's constants (/v1/meta), makes the views
// and the socket, wires the controls, then opens what the address asks for: a candidate link, a past
// interview, the interview stored in this tab, or the start form. The state lives in chat-model.js.

import { byId } from "./dom.js";
import {
  askToEnd, begin, keepGoing, onCodeInput, onInput, onShortcut, runCode, simple, startInterview, submitAnswer,
} from "./chat-actions.js";
import { onFinalClose, onMessage, onOpen } from "./chat-messages.js";
import { model, saveNow } from "./chat-model.js";
import { loadHistory, openPast } from "./chat-past.js";
import { render } from "./chat-render.js";
import { notice, setConnection, show } from "./chat-status.js";
import { loadMeta } from "./meta.js";
import { CodeEditor } from "./code-editor.js";
import { ChatView } from "./render.js";
import { Connection, socketUrl } from "./socket.js";
import { setupStart } from "./start.js";
import * as store from "./store.js";

/** `/?session=<id>#token=<token>` (a partner's or recruiter's `candidate_url`), or null. */
function readCandidateLink(loc = window.location) {
  const session = new URLSearchParams(loc.search).get("session");
  if (!session) return null;
  return { session, token: new URLSearchParams(loc.hash.slice(1)).get("token") };
}

/**
 * Join the linked session over the socket with its candidate token (`start` with `session_id` and
 * `token`); after that the stored resume keys carry on, as for any interview. The token leaves the
 * address bar (and the history) at once.
 */
function openCandidateLink(link) {
  const { data } = model;
  model.candidate = { session: link.session };
  window.history.replaceState(null, "", `/?${new URLSearchParams({ session: link.session })}`);
  const same = data.resume?.session_id === link.session || data.pendingStart?.session_id === link.session;
  if (link.token && !same) {
    startInterview({ type: "start", session_id: link.session, token: link.token });
  } else if (same) {
    render();
    if (!model.state.summary) model.conn.connect();
  } else {
    show("chat");
    byId("composer").hidden = true;
    notice("This interview link is incomplete: open the whole link you were sent (it ends with #token=…).");
  }
}

function wireControls() {
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
  byId("run-button").addEventListener("click", runCode);
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
}

async function main() {
  await loadMeta();
  model.view = new ChatView(byId("chat"));
  model.editor = new CodeEditor(byId("code-editor"), { label: "Your code", onChange: onCodeInput, onSubmit: submitAnswer });
  model.conn = new Connection(socketUrl(), {
    onOpen, onMessage, onFinalClose,
    onStatus: (s) => { if (!model.state.summary) setConnection(s); },
  });
  window.__interviewer = { // for tests and debugging
    get conn() { return model.conn; }, get data() { return model.data; }, get state() { return model.state; },
  };
  wireControls();

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
  if (model.data.resume || model.data.pendingStart) {
    render(); // restore the whole chat from storage at once, then resume
    if (!model.state.summary) model.conn.connect();
  } else {
    show("start");
    loadHistory();
  }
}

main();
