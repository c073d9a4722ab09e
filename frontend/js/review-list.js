// The interview list: the filter form (the API's filters), one table row per interview.

import { byId, h } from "./dom.js";
import { cap, statusLabel, when } from "./labels.js";
import { meta } from "./meta.js";
import { scoreBar } from "./render.js";

/** Fill the company and topic suggestions (free text stays allowed) and the difficulty choices. */
export function setupFilterOptions() {
  for (const c of meta.companies) byId("company-options").appendChild(h("option", { value: c }));
  for (const t of meta.topics) byId("topic-options").appendChild(h("option", { value: t }));
  for (const d of meta.difficulties) byId("f-difficulty").appendChild(h("option", { value: d }, cap(d)));
}

function localMidnight(dateValue, plusDays = 0) {
  const [y, m, d] = dateValue.split("-").map(Number);
  return new Date(y, m - 1, d + plusDays).toISOString();
}

function scoreField(id, label) {
  const raw = byId(id).value.trim();
  if (raw === "") return { value: "" };
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 100) return { error: `${label} must be a whole number from 0 to 100.` };
  return { value: n };
}

/** The form as API filters, or {error} naming the first invalid field. */
export function readFilters() {
  const min = scoreField("f-min", "Minimum score");
  const max = scoreField("f-max", "Maximum score");
  const error = min.error || max.error
    || (min.value !== "" && max.value !== "" && min.value > max.value
      ? "The minimum score is above the maximum score." : null);
  if (error) return { error, field: min.error ? "f-min" : "f-max" };
  const from = byId("f-from").value;
  const to = byId("f-to").value;
  return {
    filters: {
      status: byId("f-status").value,
      candidate_ref: byId("f-candidate").value.trim(),
      company: byId("f-company").value.trim(),
      topic: byId("f-topic").value.trim().toLowerCase(),
      difficulty: byId("f-difficulty").value,
      flagged: byId("f-flagged").value,
      needs_review: byId("f-needs-review").value,
      min_score: min.value,
      max_score: max.value,
      // dates are local days; "until" includes its day, the API's `created_to` is exclusive
      created_from: from ? localMidnight(from) : "",
      created_to: to ? localMidnight(to, 1) : "",
    },
  };
}

function setup(item) {
  const parts = [`${item.questions} question${item.questions === 1 ? "" : "s"}`];
  if (item.company) parts.push(item.company);
  if (item.difficulty) parts.push(item.difficulty);
  if (item.topics && item.topics.length) parts.push(item.topics.map(cap).join(", "));
  return parts.join(" · ");
}

/** One table row; the candidate cell links to the transcript. */
export function interviewRow(item) {
  const name = item.candidate_ref || "No candidate reference";
  return h("tr", { "data-session-id": item.session_id, "data-status": item.status },
    h("th", { scope: "row", "data-label": "Candidate" },
      h("a", { href: `#/interviews/${encodeURIComponent(item.session_id)}`, class: "row-link" }, name),
      h("span", { class: "sid" }, item.session_id)),
    h("td", { "data-label": "Status" }, h("span", { class: `status status-${item.status}` }, statusLabel(item.status))),
    h("td", { "data-label": "Score" }, item.score === null || item.score === undefined
      ? h("span", { class: "muted" }, "—")
      : h("div", { class: "cell-score" }, h("span", { class: "row-score" }, String(item.score)),
        scoreBar(item.score, `Score ${item.score} out of 100`))),
    h("td", { "data-label": "Interview" }, setup(item)),
    h("td", { "data-label": "Created" }, when(item.created_at)),
    h("td", { "data-label": "Review" },
      item.needs_review ? h("span", { class: "badge badge-provisional", "data-badge": "provisional",
        title: "A grade is provisional: a human should review it" }, "⚠ Needs review") : null,
      item.flagged ? h("span", { class: "badge badge-warn" }, "⚑ Flagged") : null,
      item.overridden ? h("span", { class: "badge badge-override" }, "✎ Overridden") : null,
      !item.flagged && !item.overridden ? h("span", { class: "muted" }, "—") : null));
}
