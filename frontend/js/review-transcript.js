// One interview for review: header and exports, each turn's answer with evidence highlighted, the
// per-criterion verdicts with provenance and flags, override forms, and the audit history.

import { h } from "./dom.js";
import { cap, flagLabel, provisionalText, statusLabel, verdictLook, verdictNames, verdictText, when } from "./labels.js";
import { answerBody, provisionalBadge, scoreBar, shorten } from "./render.js";

function verdictPill(v) {
  const d = verdictLook(v);
  return h("span", { class: `verdict verdict-${v}` }, h("span", { class: "icon", "aria-hidden": "true" }, d.icon), " ", d.label);
}

function flagBadges(flags) {
  // "needs_review" is shown as the Provisional badge, which an override removes.
  return (flags || []).filter((f) => f !== "needs_review").map((f) => h("span", { class: "badge badge-warn", "data-flag": f }, `⚑ ${flagLabel(f)}`));
}

// ---- override forms ----

let formCount = 0;

/**
 * An inline override form: a verdict (criterion) or a score (whole grade), and the required reason.
 * `submit({verdict|score, reason})` returns a promise; a rejection's message is shown in the form.
 */
function overrideForm({ kind, current, label, submit, close }) {
  formCount += 1;
  const id = `ov${formCount}`;
  const choice = kind === "verdict"
    ? h("select", { id: `${id}-value`, name: "verdict", class: "ov-verdict" },
      verdictNames().map((v) => h("option", { value: v }, verdictText(v))))
    : h("input", { id: `${id}-value`, name: "score", class: "ov-score", type: "number", inputmode: "numeric",
      min: "0", max: "100", value: String(current) });
  if (kind === "verdict") choice.value = current === "met" ? "missed" : "met";
  const reason = h("textarea", { id: `${id}-reason`, name: "reason", class: "ov-reason", rows: "2", maxlength: "2000",
    "aria-describedby": `${id}-error` });
  const error = h("p", { id: `${id}-error`, class: "field-error", hidden: true });
  const save = h("button", { type: "submit", class: "primary" }, "Save override");
  const form = h("form", { class: "override-form", novalidate: true, "aria-label": label },
    h("div", { class: "ov-fields" },
      h("div", { class: "field" }, h("label", { for: choice.id }, kind === "verdict" ? "New verdict" : "New score (0–100)"), choice),
      h("div", { class: "field ov-reason-field" }, h("label", { for: reason.id }, "Reason (kept in the audit log)"), reason)),
    error,
    h("div", { class: "actions" }, save, h("button", { type: "button", class: "ov-cancel", onclick: close }, "Cancel")));
  const fail = (text, field) => {
    error.textContent = text;
    error.hidden = false;
    if (field) {
      field.setAttribute("aria-invalid", "true");
      field.focus();
    }
  };
  form.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") close();
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    reason.removeAttribute("aria-invalid");
    choice.removeAttribute("aria-invalid");
    const text = reason.value.trim();
    const body = { reason: text };
    if (kind === "verdict") {
      body.verdict = choice.value;
    } else {
      const n = Number(choice.value);
      if (choice.value.trim() === "" || !Number.isInteger(n) || n < 0 || n > 100) {
        fail("The score is a whole number from 0 to 100.", choice);
        return;
      }
      body.score = n;
    }
    if (!text) {
      fail("Give a reason: it is kept in the audit log with your change.", reason);
      return;
    }
    save.disabled = true;
    save.textContent = "Saving…";
    try {
      await submit(body);
    } catch (err) {
      save.disabled = false;
      save.textContent = "Save override";
      fail(err.message || String(err), null);
    }
  });
  return { form, focus: () => choice.focus() };
}

/** A button that opens (and closes) an override form inserted into `slot`. */
function overrideToggle({ text, label, kind, current, slot, submit, target }) {
  let open = null;
  const button = h("button", { type: "button", class: "ov-open small", "aria-expanded": "false", "data-target": target }, text);
  const close = () => {
    if (!open) return;
    open.form.remove();
    open = null;
    button.setAttribute("aria-expanded", "false");
    button.focus();
  };
  button.addEventListener("click", () => {
    if (open) {
      close();
      return;
    }
    open = overrideForm({ kind, current, label, submit, close });
    slot.appendChild(open.form);
    button.setAttribute("aria-expanded", "true");
    open.focus();
  });
  return button;
}

// ---- grades ----

function provenance(p, judge) {
  if (!p) return h("p", { class: "judge" }, `Graded by the ${judge} judge.`);
  const rows = [
    ["Judge", p.judge], ["Model", p.model], ["Prompt", p.prompt_version], ["Rubric version", String(p.rubric_version)],
    ["Latency", `${Math.round(p.latency_ms)} ms`],
  ];
  if (p.tokens) rows.push(["Tokens", String(p.tokens)]);
  if (p.cost_usd) rows.push(["Cost", `$${p.cost_usd.toFixed(4)}`]);
  if (p.fallback_used) rows.push(["Fallback", p.fallback_reason || "the primary judge failed"]);
  return h("details", { class: "provenance" }, h("summary", {}, "Provenance: ", `${p.judge} judge · ${p.model}`),
    h("dl", {}, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])));
}

function criterionItem(c, ctx) {
  const slot = h("div", { class: "ov-slot" });
  const li = h("li", { class: `crit crit-${c.verdict}`, "data-criterion": c.id, "data-verdict": c.verdict },
    h("div", { class: "crit-row" },
      h("p", { class: "crit-head" }, verdictPill(c.verdict), h("span", { class: "crit-concept" }, c.concept),
        c.recovered ? h("span", { class: "badge badge-recovered" }, "Recovered after follow-up") : null),
      ctx.canEdit ? overrideToggle({
        text: "Override", label: `Override the verdict on ${c.concept}`, kind: "verdict", current: c.verdict, slot,
        target: c.id, submit: (body) => ctx.onOverride({ ...body, criterion_id: c.id, concept: c.concept }),
      }) : null),
    h("p", { class: "crit-meta" }, `Weight ${c.weight} · confidence ${Math.round((c.confidence || 0) * 100)}%`,
      c.ai_verdict ? h("span", { class: "ai-verdict" }, ` · judge's verdict: ${verdictText(c.ai_verdict)}`) : null));
  if (c.evidence && c.evidence.quote) {
    li.appendChild(h("blockquote", { class: "quote", title: c.evidence.quote },
      h("span", { class: "visually-hidden" }, "Evidence: "), `“${shorten(c.evidence.quote)}”`));
  }
  if (c.note) li.appendChild(h("p", { class: "note" }, c.note));
  if (c.verdict !== "met" && c.why) li.appendChild(h("p", { class: "why" }, h("strong", {}, "Why it matters: "), c.why));
  li.appendChild(slot);
  return li;
}

function gradeSection(turn, ctx) {
  const g = turn.grade;
  const slot = h("div", { class: "ov-slot" });
  const ctxTurn = { ...ctx, onOverride: (body) => ctx.onOverride(turn, body) };
  const noteId = `review-provisional-${turn.index}`;
  return h("section", { class: "grade-card review-grade", "aria-label": `Grade for ${turnName(turn)}`,
    "data-revision": g.revision || 1, "data-needs-review": g.needs_review ? "true" : "false" },
  h("div", { class: "grade-head" },
    h("p", { class: "score" }, h("span", { class: "score-num grade-score" }, String(g.score)), h("span", { class: "score-of" }, " / 100")),
    scoreBar(g.score, `Score ${g.score} out of 100`),
    h("p", { class: "badges" },
      provisionalBadge(g, noteId),
      g.overridden ? h("span", { class: "badge badge-override", "data-badge": "overridden" }, `✎ Overridden · judge's score ${g.ai_score}`) : null,
      (g.revision || 1) > 1 ? h("span", { class: "badge" }, `Revision ${g.revision}`) : null,
      flagBadges(g.flags), g.insufficient_evidence && !(g.flags || []).includes("insufficient_evidence")
        ? h("span", { class: "badge badge-warn" }, `⚑ ${flagLabel("insufficient_evidence")}`) : null)),
  g.needs_review ? h("p", { class: "provisional-note", id: noteId },
    provisionalText(g), ctx.canEdit ? " An override marks it reviewed." : "") : null,
  ctx.canEdit ? h("p", { class: "grade-actions" }, overrideToggle({
    text: "Override score", label: `Override the score of ${turnName(turn)}`, kind: "score", current: g.score, slot,
    target: "grade", submit: (body) => ctxTurn.onOverride(body),
  })) : null,
  slot,
  h("ul", { class: "criteria", "aria-label": "Criteria" }, g.criteria.map((c) => criterionItem(c, ctxTurn))),
  g.reason ? h("p", { class: "note" }, g.reason) : null,
  provenance(g.provenance, g.judge));
}

function turnName(turn) {
  return turn.kind === "followup" ? `the follow-up to question ${turn.main_index}` : `question ${turn.main_index}`;
}

function turnItem(turn, ctx) {
  const meta = [
    turn.kind === "followup" ? h("span", { class: "tag tag-followup" }, `Follow-up to question ${turn.main_index}`)
      : h("span", { class: "tag" }, `Question ${turn.main_index}`),
    h("span", { class: "topic" }, [cap(turn.topic), turn.difficulty].filter(Boolean).join(" · ")),
    turn.concept ? h("span", { class: "concept" }, `Concept: ${turn.concept}`) : null,
    typeof turn.answer_seconds === "number" ? h("span", {}, `Answered in ${Math.round(turn.answer_seconds)} s`) : null,
  ];
  const answer = turn.answer === null || turn.answer === undefined
    ? h("p", { class: "muted" }, turn.status === "skipped" ? "Skipped" : "No answer yet")
    : answerBody({ answer: turn.answer, grade: turn.grade, accepted: null });
  // A coding answer: the submitted code (monospace); its test groups are the grade's `tests-*` criteria.
  const code = typeof turn.code === "string"
    ? h("div", { class: "msg msg-a msg-code" }, h("p", { class: "meta" }, "Submitted code"),
      h("pre", { class: "code-answer", "aria-label": "Submitted code" }, turn.code))
    : null;
  return h("li", { class: `rturn rturn-${turn.kind}`, "data-turn": turn.index, "data-question-id": turn.question_id },
    h("div", { class: "msg msg-q" }, h("p", { class: "meta" }, meta), h("p", { class: "q-text" }, turn.question)),
    code,
    h("div", { class: "msg msg-a" }, h("p", { class: "meta" }, code ? "Candidate's explanation" : "Candidate's answer",
      turn.grade && turn.grade.criteria.some((c) => c.evidence) ? " · evidence highlighted" : ""), answer),
    turn.grade ? gradeSection(turn, ctx) : h("p", { class: "muted grade-pending" }, turn.status === "grading" ? "Grading…" : "Not graded"));
}

// ---- header, summary, audit ----

function header(t, ctx) {
  const name = t.candidate_ref || "No candidate reference";
  const facts = [
    ["Status", statusLabel(t.status)], ["Created", when(t.created_at)],
    t.finished_at ? ["Finished", when(t.finished_at)] : null,
    ["Setup", [t.config.company, t.config.difficulty, (t.config.topics || []).map(cap).join(", ")].filter(Boolean).join(" · ") || "Any"],
    ["Session", t.session_id],
  ].filter(Boolean);
  return h("section", { class: "card detail-head" },
    h("div", { class: "detail-title-row" },
      h("h2", { id: "detail-title", tabindex: "-1" }, name),
      h("p", { class: "score" }, t.score === null || t.score === undefined ? h("span", { class: "muted" }, "Not scored yet")
        : [h("span", { class: "score-num", id: "interview-score" }, String(t.score)), h("span", { class: "score-of" }, " / 100 overall")])),
    h("dl", { class: "facts" }, facts.map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, v)))),
    h("p", { class: "badges" },
      t.needs_review ? h("span", { class: "badge badge-provisional", "data-badge": "provisional" }, "⚠ Provisional grades: needs review") : null,
      flagBadges(t.flags),
      t.overridden ? h("span", { class: "badge badge-override" }, "✎ Overridden by a reviewer") : null),
    h("div", { class: "exports", role: "group", "aria-label": "Export" },
      h("span", { class: "exports-label", "aria-hidden": "true" }, "Export:"),
      [["json", "JSON"], ["csv", "CSV"], ["html", "HTML report"], ["pdf", "PDF"]].map(([fmt, text]) => h("button", {
        type: "button", id: `export-${fmt}`, class: "small", "aria-label": `Export as ${text}`,
        onclick: () => ctx.onExport(fmt),
      }, text))));
}

function summary(s) {
  if (!s) return null;
  const topics = Object.entries(s.per_topic || {}).sort((a, b) => b[1] - a[1]);
  const names = (items) => items.length ? h("ul", { class: "concept-chips" }, items.map((c) => h("li", {}, c.concept)))
    : h("p", { class: "muted" }, "None");
  return h("section", { class: "card review-summary", "aria-labelledby": "summary-heading" },
    h("h3", { id: "summary-heading" }, "Summary"),
    h("p", { class: "muted" }, `${s.answered} answered · ${s.skipped} skipped`,
      topics.length ? ` · ${topics.map(([k, v]) => `${cap(k)} ${v}`).join(" · ")}` : ""),
    h("div", { class: "summary-cols" },
      h("div", {}, h("h4", {}, "Strengths"), names(s.strengths)),
      h("div", {}, h("h4", {}, "Gaps"), names(s.gaps)),
      s.recovered && s.recovered.length ? h("div", {}, h("h4", {}, "Recovered"), names(s.recovered)) : null));
}

const ACTIONS = { "override.criterion": "Verdict override", "override.grade": "Score override" };

function changes(before, after) {
  const out = [];
  for (const key of Object.keys({ ...before, ...after })) {
    if (key === "revision") continue;
    const [a, b] = [before[key], after[key]];
    if (key === "score") out.push(h("li", { "data-change": "score" }, "Question score: ", h("strong", {}, `${a} → ${b}`)));
    else if (key.startsWith("verdict:") && a !== b) {
      out.push(h("li", { "data-change": "verdict" }, "Verdict: ", h("strong", {}, `${verdictText(a)} → ${verdictText(b)}`)));
    }
  }
  return out;
}

/** The audit history, oldest first; `concepts` maps "question|criterion" to a concept name. */
export function auditSection(items, t, ownKeyId) {
  const concepts = new Map();
  for (const turn of t.turns) {
    for (const c of turn.grade ? turn.grade.criteria : []) concepts.set(`${turn.question_id}|${c.id}`, c.concept);
  }
  const list = items.length ? h("ol", { class: "audit", id: "audit-list" }, items.map((e) => {
    const who = e.actor === ownKeyId ? `key ${e.actor} (you)` : e.actor === "local" ? "local admin" : `key ${e.actor}`;
    const target = e.criterion_id ? concepts.get(`${e.question_id}|${e.criterion_id}`) || e.criterion_id : null;
    return h("li", { class: "audit-entry", "data-entry-id": e.entry_id, "data-action": e.action },
      h("p", { class: "audit-head" }, h("strong", {}, ACTIONS[e.action] || e.action), " by ",
        h("span", { class: "audit-actor" }, who), " · ", h("time", { datetime: new Date(e.at * 1000).toISOString() }, when(e.at))),
      h("p", { class: "audit-target" }, `Question ${e.question_id}`, target ? ` · ${target}` : ""),
      h("ul", { class: "audit-changes" }, changes(e.before || {}, e.after || {})),
      h("blockquote", { class: "audit-reason" }, h("span", { class: "visually-hidden" }, "Reason: "), e.reason));
  })) : h("p", { class: "muted", id: "audit-empty" }, "No human changes yet: every grade is the judge's.");
  return h("section", { class: "card audit-card", "aria-labelledby": "audit-heading" },
    h("h3", { id: "audit-heading" }, "Audit history"), list);
}

/**
 * The whole interview view. `ctx`: {canEdit, onOverride(turn, body), onExport(format), audit, ownKeyId}.
 */
export function interviewView(t, ctx) {
  return [
    header(t, ctx),
    summary(t.summary),
    h("section", { "aria-labelledby": "turns-heading" }, h("h3", { id: "turns-heading", class: "section-title" }, "Transcript"),
      h("ol", { class: "review-turns" }, t.turns.map((turn) => turnItem(turn, ctx)))),
    auditSection(ctx.audit, t, ctx.ownKeyId),
  ];
}
