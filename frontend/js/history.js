// The candidate's history: past interviews kept by the server under an anonymous profile id this
// browser holds (localStorage), or under a partner's candidate_ref (proved with the session's
// candidate token). A progress chart (uPlot, vendored) of score per topic over time, the gaps that
// keep coming back with a one-click practice interview, and each past interview read-only.

import uPlot from "../vendor/uPlot.esm.js";
import { h, replaceChildren } from "./dom.js";
import { cap, clock, when } from "./labels.js";
import { meta } from "./meta.js";
import { answerBody, gradeCard } from "./render.js";

const PROFILE_KEY = "interviewer.profile";
const COLORS = ["#1d4ed8", "#b45309", "#15803d", "#9333ea", "#be123c", "#0e7490"];

export function storedProfile() {
  try {
    return window.localStorage.getItem(PROFILE_KEY);
  } catch {
    return null;
  }
}

/** The profile id, created on the server the first time; null when the server has none (auth on). */
export async function ensureProfile() {
  const have = storedProfile();
  if (have) return have;
  try {
    const res = await fetch("/v1/candidate/profile", { method: "POST", headers: { Accept: "application/json" } });
    if (!res.ok) return null;
    const { profile_id: id } = await res.json();
    window.localStorage.setItem(PROFILE_KEY, id);
    return id;
  } catch {
    return null; // offline or storage disabled: the interview still runs, without history
  }
}

/** Headers proving who the candidate is: {profile} or {session, token}. */
export function authHeaders(who) {
  if (who.profile) return { "X-Candidate-Profile": who.profile };
  return { "X-Candidate-Session": who.session, "X-Candidate-Token": who.token };
}

async function getJson(path, who) {
  const res = await fetch(path, { headers: { Accept: "application/json", ...authHeaders(who) } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body?.error?.message || `HTTP ${res.status}`);
  return body;
}

export const fetchHistory = (who) => getJson("/v1/candidate/history", who);
export const fetchInterview = (who, sid) => getJson(`/v1/candidate/interviews/${encodeURIComponent(sid)}`, who);

/** Revoke the anonymous profile on the server and forget it here. */
export async function forgetProfile() {
  const profile = storedProfile();
  if (profile) {
    await fetch("/v1/candidate/profile", { method: "DELETE", headers: authHeaders({ profile }) });
  }
  try {
    window.localStorage.removeItem(PROFILE_KEY);
  } catch {
    // nothing stored
  }
}

/** Download the report of one interview (`format`: html or pdf) through fetch, headers included. */
export async function downloadReport(who, sid, format) {
  const res = await fetch(`/v1/candidate/interviews/${encodeURIComponent(sid)}/report?format=${format}`,
    { headers: authHeaders(who) });
  if (!res.ok) throw new Error(`the report could not be made (HTTP ${res.status})`);
  const url = URL.createObjectURL(await res.blob());
  const a = h("a", { href: url, download: `interview-report-${sid}.${format}`, hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** Unique question ids, at most as many as one interview asks. */
export function practiceIds(lists) {
  const out = [];
  for (const ids of lists) for (const id of ids) if (id && !out.includes(id)) out.push(id);
  return out.slice(0, meta.max_questions || out.length);
}

// ---- the progress chart ----

function cssVar(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** Score per topic over time: one series per topic, one point per completed interview. */
function progressChart(items) {
  const done = items.filter((i) => i.status === "completed" && i.score !== null).sort((a, b) => a.created_at - b.created_at);
  if (!done.length) return null;
  const topics = [...new Set(done.flatMap((i) => Object.keys(i.per_topic || {})))].sort();
  const xs = done.map((_, k) => k + 1); // evenly spaced, in order; labelled with the dates
  const data = [xs, ...topics.map((t) => done.map((i) => (t in (i.per_topic || {}) ? i.per_topic[t] : null)))];
  const label = `Score per topic over ${done.length} completed interview${done.length === 1 ? "" : "s"}`;
  const fig = h("figure", { class: "progress-chart", "data-points": String(xs.length), "data-topics": topics.join(" ") },
    h("figcaption", {}, "Progress: score per topic"));
  const holder = h("div", { class: "chart-canvas", role: "img", "aria-label": label });
  fig.appendChild(holder);
  const text = cssVar("--text", "#18202c");
  const line = cssVar("--line", "#d5dbe3");
  const axis = { stroke: text, grid: { stroke: line }, ticks: { stroke: line } };
  const day = (k) => (Number.isInteger(k) && done[k - 1]
    ? new Date(done[k - 1].created_at * 1000).toLocaleDateString(undefined, { month: "short", day: "numeric" }) : "");
  const opts = {
    width: 600, height: 240,
    scales: { x: { time: false, range: [0.5, xs.length + 0.5] }, y: { range: [0, 100] } },
    axes: [{ ...axis, label: "Interview", splits: () => xs, values: (u, splits) => splits.map((k) => (Number.isInteger(k) ? `#${k} ${day(k)}` : "")) },
      { ...axis, label: "Score" }],
    series: [{ label: "Interview", value: (u, k) => (k === null || k === undefined ? "--" : `#${k} ${day(k)}`) },
      ...topics.map((t, k) => ({
      label: cap(t), stroke: COLORS[k % COLORS.length], width: 2, spanGaps: true,
      points: { show: true, size: 8, fill: COLORS[k % COLORS.length] },
    }))],
  };
  // Drawn once the figure is in the page (it needs the width).
  const width = () => Math.max(240, Math.min(800, holder.clientWidth || 600));
  fig.draw = () => {
    opts.width = width();
    fig.plot = new uPlot(opts, data, holder);
    // Follow the page's width (a phone turned, a window resized); stops once the chart is replaced.
    const onResize = () => {
      if (!holder.isConnected) return window.removeEventListener("resize", onResize);
      return fig.plot.setSize({ width: width(), height: opts.height });
    };
    window.addEventListener("resize", onResize);
  };
  return fig;
}

// ---- the history section ----

function interviewRow(it, { onOpen }) {
  const parts = [it.company || "Any company", it.difficulty ? cap(it.difficulty) : "Any difficulty",
    `${it.questions} question${it.questions === 1 ? "" : "s"}`];
  const score = it.score === null ? (it.status === "completed" ? "-" : "Not finished") : `${it.score} / 100`;
  return h("li", { class: "history-item", "data-session": it.session_id },
    h("p", { class: "history-head" },
      h("span", { class: "history-score" }, score),
      h("span", { class: "history-date" }, when(it.created_at))),
    h("p", { class: "muted" }, parts.join(" · ")),
    h("button", { type: "button", class: "open-past", onclick: () => onOpen(it.session_id),
      "aria-label": `Open the interview of ${when(it.created_at)}` }, "Open"));
}

function recurringList(gaps, { onPractise }) {
  return h("ul", { class: "concepts recurring" }, gaps.map((g) => h("li", { class: "concept-item", "data-concept": g.concept },
    h("p", { class: "concept-name" }, g.concept, g.topic ? h("span", { class: "topic" }, ` · ${cap(g.topic)}`) : null,
      h("span", { class: "badge" }, ` a gap in ${g.count} interviews`)),
    g.why ? h("p", { class: "why" }, h("strong", {}, "Why it matters: "), g.why) : null,
    h("button", { type: "button", class: "practise-gap", onclick: () => onPractise(practiceIds([g.question_ids])) },
      `Practise this (${practiceIds([g.question_ids]).length} question${g.question_ids.length === 1 ? "" : "s"})`))));
}

/**
 * Fill `root` with the history: the chart, the recurring gaps and the list of interviews.
 * `onOpen(sid)` opens one read-only; `onPractise(questionIds)` starts an interview on them;
 * `onForget` (profile only) revokes the anonymous profile.
 */
export function renderHistory(root, history, { onOpen, onPractise, onForget }) {
  const items = history.items || [];
  root.dataset.count = String(items.length);
  if (!items.length) {
    replaceChildren(root);
    root.hidden = true;
    return;
  }
  const chart = progressChart(items);
  const gaps = history.recurring_gaps || [];
  replaceChildren(root,
    h("h2", { id: "history-title" }, "Your past interviews"),
    h("p", { class: "muted" }, history.kind === "link"
      ? "Interviews you took for the same organisation."
      : "Kept on this server for this browser only; nothing to sign up for."),
    chart,
    h("section", { class: "summary-block" }, h("h3", {}, "Gaps that keep coming back"),
      gaps.length ? [recurringList(gaps, { onPractise }),
        h("button", { type: "button", id: "practise-recurring", class: "primary",
          onclick: () => onPractise(practiceIds(gaps.map((g) => g.question_ids))) }, "Practise my gaps")]
        : h("p", { class: "muted" }, "None yet: a concept shows here once it is a gap in two interviews.")),
    h("section", { class: "summary-block" }, h("h3", {}, "Interviews"),
      h("ol", { class: "history-list", reversed: true }, items.map((it) => interviewRow(it, { onOpen })))),
    onForget && history.kind === "profile" ? h("p", { class: "actions" },
      h("button", { type: "button", id: "forget-history", class: "danger", onclick: onForget }, "Forget my history")) : null);
  root.hidden = false;
  if (chart) chart.draw();
}

// ---- one past interview, read-only ----

/** Fill `root` with a past interview: every answer with its grade, evidence and the sample answer. */
export function renderPast(root, t, { onBack, onReport }) {
  const heading = h("h2", { id: "past-title", tabindex: "-1" }, "Past interview");
  const samples = t.sample_answers || {};
  const facts = [t.company || "Any company", t.difficulty ? cap(t.difficulty) : "Any difficulty", when(t.created_at)];
  replaceChildren(root,
    heading,
    h("p", { class: "score" }, h("span", { class: "score-num" }, t.score === null ? "-" : String(t.score)),
      h("span", { class: "score-of" }, " / 100 overall")),
    h("p", { class: "muted" }, facts.join(" · ")),
    h("p", { class: "actions" },
      h("button", { type: "button", id: "past-back", onclick: onBack }, "Back"),
      h("button", { type: "button", id: "past-report-html", onclick: () => onReport("html") }, "Download report (HTML)"),
      h("button", { type: "button", id: "past-report-pdf", onclick: () => onReport("pdf") }, "Download report (PDF)")),
    h("ol", { class: "chat past-turns" }, t.turns.map((turn) => {
      const view = { ...turn, turn: turn.index, index: turn.main_index, accepted: null };
      return h("li", { class: `turn turn-${turn.kind}`, "data-turn": turn.index, "data-question-id": turn.question_id },
        h("div", { class: "msg msg-q" }, h("p", { class: "tag" },
          turn.kind === "followup" ? "Follow-up" : `Question ${turn.main_index}`), h("p", { class: "q-text" }, turn.question)),
        h("div", { class: "msg msg-a" }, turn.answer_seconds !== null && turn.answer_seconds !== undefined
          ? h("p", { class: "meta answer-time" }, `Answered in ${clock(turn.answer_seconds)}`) : null,
        turn.answer ? answerBody(view) : h("p", { class: "muted" }, `(${turn.status})`)),
        turn.grade ? h("div", { class: "grade-slot" }, gradeCard(view),
          turn.grade.feedback ? h("p", { class: "feedback" }, turn.grade.feedback) : null) : null,
        turn.grade && samples[turn.question_id] && turn.kind === "main" ? h("details", { class: "sample" },
          h("summary", {}, "A sample answer"), h("p", {}, samples[turn.question_id])) : null);
    })));
  return heading;
}
