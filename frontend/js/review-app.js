// The recruiter dashboard's controller: sign in and out, hash routes (#/ and #/interviews/<id>, so
// that Back works and a reload reopens the same view), list paging, overrides, exports. Its state is
// the one `review` object below; the entry module (review.js) wires the page to these functions.

import { byId, h, replaceChildren } from "./dom.js";
import { verdictText } from "./labels.js";
import { Api, forgetKey, keyId, saveBlob, saveKey } from "./review-api.js";
import { interviewRow, readFilters } from "./review-list.js";
import { interviewView } from "./review-transcript.js";

const EXPORT_NAMES = { json: "JSON", csv: "CSV", html: "HTML report", pdf: "PDF" };

export const review = {
  api: null, // null while signed out
  ownKeyId: null,
  me: null, // GET /v1/me once known: who the key is and what its role may do
  filters: {},
  cursor: null,
  shown: 0,
  listRun: 0, // a newer list request makes older answers stale
  current: null, // the open interview: {sid, t, audit}
  lastOpened: null,
  statusTimer: null,
};

// ---- status, notices, errors ----

/** A short-lived status message (a polite live region, shown as a toast wherever the page is scrolled). */
function status(text) {
  clearTimeout(review.statusTimer);
  byId("status").textContent = text || "";
  if (text) review.statusTimer = setTimeout(() => { byId("status").textContent = ""; }, 12_000);
}

function notice(text, { withSignOut = false } = {}) {
  const el = byId("notice");
  if (!text) {
    el.hidden = true;
    replaceChildren(el);
    return;
  }
  replaceChildren(el, h("p", {}, text), withSignOut
    ? h("p", { class: "actions" }, h("button", { type: "button", id: "notice-sign-out", onclick: signOut }, "Sign out"))
    : null);
  el.hidden = false;
}

/** 401 and 403 get a clear notice with a way out; anything else says what failed. */
function reportError(err, what) {
  if (err.status === 401) {
    notice(`The server did not accept your API key (${err.message}). Sign out and sign in with a valid key.`,
      { withSignOut: true });
  } else if (err.status === 403) {
    notice(`Your API key may not ${what} (${err.message}). Overrides need a recruiter or admin key: sign out `
      + "and sign in with one.", { withSignOut: true });
  } else {
    notice(`Could not ${what}: ${err.message}`);
  }
}

// ---- views ----

export function show(view) {
  byId("signin-view").hidden = view !== "signin";
  byId("list-view").hidden = view !== "list";
  byId("detail-view").hidden = view !== "detail";
  byId("who").hidden = view === "signin";
  byId("sign-out").hidden = view === "signin";
}

export function route() {
  if (!review.api) {
    show("signin");
    return;
  }
  const m = /^#\/interviews\/([^/]+)$/.exec(window.location.hash);
  if (m) openInterview(decodeURIComponent(m[1]));
  else showList();
}

// ---- sign in and out ----

export async function signIn(ev) {
  ev.preventDefault();
  const input = byId("api-key");
  const error = byId("signin-error");
  const button = byId("signin-button");
  const key = input.value.trim();
  error.hidden = true;
  input.removeAttribute("aria-invalid");
  button.disabled = true;
  status("Checking the key…");
  try {
    await new Api(key).json("/v1/interviews?limit=1");
  } catch (err) {
    const text = err.status === 401
      ? (key ? `This API key was not accepted: ${err.message}.` : "This server requires an API key.")
      : `Could not sign in: ${err.message}`;
    error.textContent = text;
    error.hidden = false;
    input.setAttribute("aria-invalid", "true");
    status("");
    input.focus();
    return;
  } finally {
    button.disabled = false;
  }
  input.value = "";
  saveKey(key);
  begin(key);
  status("Signed in.");
  byId("list-title").focus();
}

export function begin(key) {
  review.api = new Api(key);
  review.ownKeyId = keyId(key);
  review.me = null;
  byId("who").textContent = key ? `Signed in with key ${review.ownKeyId || "(unnamed)"}` : "Auth is off: local admin";
  review.shown = 0;
  route();
  const asked = review.api;
  asked.me().then((m) => {
    if (review.api !== asked) return; // signed out or in again meanwhile
    review.me = m;
    const readOnly = canOverride() ? "" : " · read-only: this role cannot override";
    byId("who").textContent = key
      ? `Signed in as ${m.role} of ${m.org_id} (key ${m.key_id})${readOnly}`
      : `Auth is off: local ${m.role}`;
    if (review.current && !canOverride()) renderInterview(); // drop the override buttons just drawn
  }).catch(() => {}); // an older server without /v1/me: overrides are offered and the server decides
}

/** Whether to offer override forms: yes until /v1/me says the role may not (the server checks anyway). */
function canOverride() {
  return !review.me || review.me.actions.includes("interviews.override");
}

export function signOut() {
  forgetKey();
  review.api = null;
  review.me = null;
  review.current = null;
  review.listRun += 1;
  replaceChildren(byId("interview-rows"));
  replaceChildren(byId("detail"));
  byId("list-count").textContent = "";
  notice(null);
  if (window.location.hash) window.history.pushState(null, "", window.location.pathname);
  show("signin");
  status("Signed out. The key was removed from this tab.");
  byId("api-key").focus();
}

// ---- the list ----

function showList() {
  show("list");
  review.current = null;
  loadList(true).then(() => {
    const link = review.lastOpened && document.querySelector(`tr[data-session-id="${CSS.escape(review.lastOpened)}"] a`);
    if (link) link.focus();
    review.lastOpened = null;
  });
}

export async function loadList(reset) {
  const run = ++review.listRun;
  const rows = byId("interview-rows");
  const more = byId("more");
  more.disabled = true;
  byId("interviews").setAttribute("aria-busy", "true");
  try {
    const page = await review.api.interviews(review.filters, reset ? null : review.cursor);
    if (run !== review.listRun) return;
    if (reset) {
      replaceChildren(rows);
      review.shown = 0;
    }
    for (const item of page.items) rows.appendChild(interviewRow(item));
    review.shown += page.items.length;
    review.cursor = page.next_cursor || null;
    more.hidden = !review.cursor;
    if (review.shown === 0) {
      rows.appendChild(h("tr", { class: "empty" }, h("td", { colspan: "6" }, "No interview matches these filters.")));
    }
    const count = `${review.shown} interview${review.shown === 1 ? "" : "s"}${review.cursor ? " shown; more are available" : ""}`;
    byId("list-count").textContent = count; // a live region: announced after each filter or page
    notice(null);
  } catch (err) {
    if (run === review.listRun) reportError(err, "list the interviews");
  } finally {
    if (run === review.listRun) {
      more.disabled = false;
      byId("interviews").removeAttribute("aria-busy");
    }
  }
}

export function applyFilters(ev) {
  ev.preventDefault();
  const error = byId("filter-error");
  for (const el of byId("filters").querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  const read = readFilters();
  if (read.error) {
    error.textContent = read.error;
    error.hidden = false;
    byId(read.field).setAttribute("aria-invalid", "true");
    byId(read.field).focus();
    return;
  }
  error.hidden = true;
  review.filters = read.filters;
  loadList(true);
}

/** The form's Reset: no filters, the first page again (after the form has cleared its fields). */
export function resetFilters() {
  byId("filter-error").hidden = true;
  review.filters = {};
  setTimeout(() => loadList(true), 0);
}

// ---- one interview ----

async function fetchInterview(sid) {
  const [t, audit] = await Promise.all([review.api.interview(sid), review.api.audit(sid)]);
  return { sid, t, audit: audit.items };
}

function renderInterview() {
  replaceChildren(byId("detail"), interviewView(review.current.t, {
    canEdit: canOverride(), audit: review.current.audit, ownKeyId: review.ownKeyId, onOverride: applyOverride, onExport: exportAs,
  }));
}

async function openInterview(sid) {
  show("detail");
  review.lastOpened = sid;
  replaceChildren(byId("detail"), h("p", { class: "muted" }, "Loading the interview…"));
  try {
    const loaded = await fetchInterview(sid);
    if (!review.api) return;
    review.current = loaded;
  } catch (err) {
    replaceChildren(byId("detail"), h("p", { class: "muted" }, err.status === 404
      ? "This interview does not exist or belongs to another organisation." : "The interview could not be loaded."));
    reportError(err, "open the interview");
    return;
  }
  notice(null);
  renderInterview();
  byId("detail-title").focus(); // announces the candidate
}

/** POST the override, then reload transcript and audit so that the page shows the server's numbers. */
async function applyOverride(turn, body) {
  const { concept, ...fields } = body;
  const sid = review.current.sid;
  let out;
  try {
    out = await review.api.override(sid, { question_id: turn.question_id, turn: turn.index, ...fields });
  } catch (err) {
    if (err.status === 401 || err.status === 403) reportError(err, "override a grade");
    throw err;
  }
  const oldScore = turn.grade.score;
  review.current = await fetchInterview(sid);
  renderInterview();
  const what = fields.criterion_id ? `${concept}: ${verdictText(fields.verdict)}` : `score set to ${fields.score}`;
  const total = out.interview_score === null ? "" : ` Interview score: ${out.interview_score}.`;
  status(`Override saved (${what}). Question score ${oldScore} → ${out.grade.score}.${total}`);
  const where = `li.rturn[data-turn="${turn.index}"]`;
  const target = fields.criterion_id ? `.ov-open[data-target="${CSS.escape(fields.criterion_id)}"]` : '.ov-open[data-target="grade"]';
  const button = document.querySelector(`${where} ${target}`);
  if (button) button.focus();
}

async function exportAs(format) {
  const button = byId(`export-${format}`);
  const sid = review.current.sid;
  button.disabled = true;
  status(`Preparing the ${EXPORT_NAMES[format]} export…`);
  try {
    const { blob, filename } = await review.api.export(sid, format);
    saveBlob(blob, filename);
    status(`Downloaded ${filename}.`);
  } catch (err) {
    status("");
    reportError(err, "export the interview");
  } finally {
    button.disabled = false;
  }
}
