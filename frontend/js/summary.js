// The end-of-interview summary: overall score, per-topic bar chart, strengths, gaps, recovered.

import { h, replaceChildren } from "./dom.js";
import { cap } from "./labels.js";
import { practiceIds } from "./history.js";
import { scoreBar } from "./render.js";

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

function conceptList(items, { withWhy = false, withPractice = false, onPractise = null } = {}) {
  return h("ul", { class: "concepts" }, items.map((c) => h("li", { class: "concept-item" },
    h("p", { class: "concept-name" }, c.concept, c.topic ? h("span", { class: "topic" }, ` · ${cap(c.topic)}`) : null),
    withWhy && c.why ? h("p", { class: "why" }, h("strong", {}, "Why it matters: "), c.why) : null,
    withPractice && c.practice && c.practice.length ? h("div", { class: "practice" },
      h("p", { class: "meta" }, "Practice:"),
      h("ul", {}, c.practice.map((p) => h("li", { "data-question-id": p.question_id }, p.text,
        onPractise ? h("button", { type: "button", class: "practise-one link-button", "data-question-id": p.question_id,
          "aria-label": `Practise this: ${p.text}`, onclick: () => onPractise([p.question_id]) }, "Practise this") : null)))) : null)));
}

function block(title, items, opts, empty) {
  return h("section", { class: "summary-block" }, h("h3", {}, title),
    items && items.length ? conceptList(items, opts) : h("p", { class: "muted" }, empty));
}

/** The question ids a "practise my gaps" interview asks: every gap's practice suggestions. */
export function gapPracticeIds(s) {
  return practiceIds((s.gaps || []).map((g) => (g.practice || []).map((p) => p.question_id)));
}

/**
 * Fill `root` with the summary. `onReport(format)` downloads the report; `onRestart` and
 * `onPractise(questionIds)` (no button when null) start a new interview.
 */
export function renderSummary(root, s, { onReport, onRestart, onPractise }) {
  const heading = h("h2", { id: "summary-title", tabindex: "-1" }, "Interview summary");
  replaceChildren(root,
    heading,
    h("div", { class: "summary-score" },
      h("p", { class: "score" }, h("span", { class: "score-num", "data-score": s.score }, String(s.score)),
        h("span", { class: "score-of" }, " / 100 overall")),
      h("p", { class: "muted" }, `${s.answered} answered · ${s.skipped} skipped`)),
    topicChart(s.per_topic),
    block("Strengths", s.strengths, {}, "No concept was fully met this time."),
    block("Gaps to work on", s.gaps, { withWhy: true, withPractice: true, onPractise },
      "No gaps: every concept was covered."),
    s.recovered && s.recovered.length ? block("Recovered after a follow-up", s.recovered, {}, "") : null,
    h("div", { class: "actions" },
      h("button", { type: "button", id: "download", class: "primary", onclick: () => onReport("html") },
        "Download report (HTML)"),
      h("button", { type: "button", id: "download-pdf", onclick: () => onReport("pdf") }, "Download report (PDF)"),
      onPractise && gapPracticeIds(s).length ? h("button", { type: "button", id: "practise-gaps",
        onclick: () => onPractise(gapPracticeIds(s)) }, "Practise my gaps") : null,
      onRestart ? h("button", { type: "button", id: "restart", onclick: onRestart }, "Start a new interview") : null));
  return heading;
}
