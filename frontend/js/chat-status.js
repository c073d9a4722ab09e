// The chat page's status lines: the connection, notices, the composer's status, screen-reader
// announcements, and which view is shown.

import { byId, h, replaceChildren } from "./dom.js";

const STATUS_TEXT = {
  idle: "Not connected", connecting: "Connecting…", connected: "Connected",
  reconnecting: "Reconnecting…", offline: "Offline", closed: "Disconnected", finished: "Interview finished",
};

export function setConnection(status) {
  byId("connection").dataset.state = status;
  byId("connection-text").textContent = STATUS_TEXT[status] || status;
}

/** A notice at the top of the page with optional buttons; no text hides it. */
export function notice(text, actions = []) {
  const el = byId("notice");
  if (!text) {
    el.hidden = true;
    replaceChildren(el);
    return;
  }
  replaceChildren(el, h("p", {}, text), actions.length ? h("p", { class: "actions" }, actions) : null);
  el.hidden = false;
}

export function composerStatus(text) {
  byId("composer-status").textContent = text || "";
}

/** Say it once to screen readers (the question asked, a score). */
export function announce(text) {
  byId("announcer").textContent = text;
}

/** Show one view: "start", "chat" or "past". */
export function show(view) {
  byId("start-view").hidden = view !== "start";
  byId("chat-view").hidden = view !== "chat";
  byId("past-view").hidden = view !== "past";
  if (view === "past") byId("history-view").hidden = true;
}
