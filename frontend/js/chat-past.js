// Past interviews and leaving this one: the history under the start form and the summary, a past
// interview read-only (`/?past=<id>`), "practise" and "start a new interview", report downloads.

import { byId, h, replaceChildren } from "./dom.js";
import * as past from "./history.js";
import { model, resetInterview } from "./chat-model.js";
import { notice, show } from "./chat-status.js";
import * as store from "./store.js";

/** Who the candidate is for the history routes: this browser's profile, or the linked session. */
function historyWho() {
  const { candidate, data } = model;
  const profile = past.storedProfile();
  if (profile && !candidate) return { profile };
  if (candidate && data.resume) return { session: data.resume.session_id, token: data.resume.resume_token };
  return null;
}

export async function loadHistory() {
  const who = historyWho();
  const root = byId("history-view");
  if (!who) return;
  root.setAttribute("aria-busy", "true");
  try {
    const history = await past.fetchHistory(who);
    past.renderHistory(root, history, {
      onOpen: (sid) => window.location.assign(`/?${new URLSearchParams({ past: sid })}`),
      onPractise: model.candidate ? null : practise,
      onForget: model.candidate ? null : forgetHistory,
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

function backButton() {
  return h("button", { type: "button", onclick: () => window.location.assign("/") }, "Back");
}

/** Open one past interview read-only (`/?past=<id>`). */
export async function openPast(sid) {
  const who = historyWho();
  show("past");
  byId("connection").hidden = true; // no socket here: a finished interview, read-only
  byId("progress").textContent = "Past interview";
  const root = byId("past-view");
  if (!who) {
    replaceChildren(root, h("p", {}, "This browser has no history."), backButton());
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
    replaceChildren(root, h("p", {}, `This interview could not be opened: ${err.message}`), backButton());
  }
}

/** A new interview on exactly these questions ("practise my gaps"), from any view. */
export async function practise(ids) {
  if (!ids.length) return;
  const msg = { type: "start", question_ids: ids, num_questions: ids.length, max_followups: 1 };
  const profile = await past.ensureProfile();
  if (profile) msg.profile = profile;
  if (model.conn) model.conn.drop({ stop: true });
  resetInterview({ pendingStart: msg });
  store.save(model.data);
  model.leaving = true; // the page reloads on the new interview; nothing else may overwrite it
  window.location.assign("/");
}

/** Download this interview's report (html or pdf) with the candidate's own keys. */
export function downloadReport(format) {
  const { resume } = model.data;
  if (!resume) return;
  const who = { session: resume.session_id, token: resume.resume_token };
  past.downloadReport(who, who.session, format).catch((err) => notice(err.message));
}

export function restart() {
  if (model.conn) model.conn.drop({ stop: true });
  // `pagehide` saves on the way out: without this the finished interview came back after "/".
  model.leaving = true;
  clearTimeout(model.timers.save);
  store.clear();
  window.location.assign("/");
}

/** The buttons under a notice that ends this interview (none from a candidate link). */
export function restartActions() {
  return model.candidate ? [] : [h("button", { type: "button", onclick: restart }, "Start a new interview")];
}
