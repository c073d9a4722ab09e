// The end-of-interview summary: overall score, per-topic bar chart, strengths, gaps, recovered.

import { h, replaceChildren } from "./dom.js";
import { scoreBar } from "./render.js";

function cap(s) {
  return s ? s.charAt(0).toUpperCase() + s.slice(1) : "";
}

function topicChart(perTopic) {
  const rows = Object.entries(perTopic || {}).sort((a, b) => b[1] - a[1]);
  if (!rows.length) return null;
  return h("figure", { class: "chart" },
    h("figcaption", {}, "Score per topic"),
    h("ul", { class: "chart-rows" }, rows.map(([topic, score]) => h("li", { class: "chart-row", "data-topic": topic },
      h("span", { class: "chart-label" }, cap(topic)),
      scoreBar(score, `${cap(topic)}: ${score} out of 100`),
      h("span", { class: "chart-value" }, String(score))))));
}

function conceptList(items, { withWhy = false, withPractice = false } = {}) {
  return h("ul", { class: "concepts" }, items.map((c) => h("li", { class: "concept-item" },
    h("p", { class: "concept-name" }, c.concept, c.topic ? h("span", { class: "topic" }, ` · ${cap(c.topic)}`) : null),
    withWhy && c.why ? h("p", { class: "why" }, h("strong", {}, "Why it matters: "), c.why) : null,
    withPractice && c.practice && c.practice.length ? h("div", { class: "practice" },
      h("p", { class: "meta" }, "Practice:"),
      h("ul", {}, c.practice.map((p) => h("li", { "data-question-id": p.question_id }, p.text)))) : null)));
}

function block(title, items, opts, empty) {
  return h("section", { class: "summary-block" }, h("h3", {}, title),
    items && items.length ? conceptList(items, opts) : h("p", { class: "muted" }, empty));
}

/** Fill `root` with the summary; `onDownload` and `onRestart` (no button when null) are the buttons' actions. */
export function renderSummary(root, s, { onDownload, onRestart }) {
  const heading = h("h2", { id: "summary-title", tabindex: "-1" }, "Interview summary");
  replaceChildren(root,
    heading,
    h("div", { class: "summary-score" },
      h("p", { class: "score" }, h("span", { class: "score-num", "data-score": s.score }, String(s.score)),
        h("span", { class: "score-of" }, " / 100 overall")),
      h("p", { class: "muted" }, `${s.answered} answered · ${s.skipped} skipped`)),
    topicChart(s.per_topic),
    block("Strengths", s.strengths, {}, "No concept was fully met this time."),
    block("Gaps to work on", s.gaps, { withWhy: true, withPractice: true }, "No gaps: every concept was covered."),
    s.recovered && s.recovered.length ? block("Recovered after a follow-up", s.recovered, {}, "") : null,
    h("div", { class: "actions" },
      h("button", { type: "button", id: "download", class: "primary", onclick: onDownload }, "Download transcript"),
      onRestart ? h("button", { type: "button", id: "restart", onclick: onRestart }, "Start a new interview") : null));
  return heading;
}
