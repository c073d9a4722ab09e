// Rendering of the chat: one view per transcript turn, patched in place so focus and live
// regions survive updates. Every server or user string is inserted as text.

import { append, h, replaceChildren } from "./dom.js";
import { cap, provisionalText, verdictLook } from "./labels.js";
import { answerMatches, evidenceSegments } from "./state.js";

function questionMeta(t) {
  const q = t.question;
  if (t.kind === "followup") {
    return [h("span", { class: "tag tag-followup" }, "Follow-up"),
      q.concept ? h("span", { class: "concept" }, "Concept: ", q.concept) : null];
  }
  return [h("span", { class: "tag" }, `Question ${q.index} of ${q.total}`),
    h("span", { class: "topic" }, [cap(q.topic), q.difficulty].filter(Boolean).join(" · "))];
}

/** The candidate's answer with evidence spans wrapped in <mark>. */
export function answerBody(t) {
  const p = h("p", { class: "answer-text" });
  const criteria = t.grade ? t.grade.criteria : [];
  if (!t.grade || !answerMatches(t)) {
    p.textContent = t.answer;
    return p;
  }
  const byId = new Map(criteria.map((c) => [c.id, c]));
  for (const seg of evidenceSegments(t.answer, criteria)) {
    if (seg.ids.length === 0) {
      p.appendChild(document.createTextNode(seg.text));
    } else {
      const concepts = seg.ids.map((id) => byId.get(id)?.concept || id).join("; ");
      const weak = seg.ids.every((id) => byId.get(id)?.verdict !== "met");
      p.appendChild(h("mark", {
        class: weak ? "ev ev-partial" : "ev", "data-criteria": seg.ids.join(" "), title: `Evidence: ${concepts}`,
      }, seg.text));
    }
  }
  return p;
}

/** The "Provisional" badge of a grade that needs review (null otherwise); `id` names its explanation. */
export function provisionalBadge(g, describedBy) {
  if (!g.needs_review) return null;
  return h("span", { class: "badge badge-provisional", "data-badge": "provisional", title: provisionalText(g),
    ...(describedBy ? { "aria-describedby": describedBy } : {}) }, "⚠ Provisional");
}

const QUOTE_MAX = 180;

/** A long quote cut at a word boundary (the whole span is highlighted in the answer anyway). */
export function shorten(text, max = QUOTE_MAX) {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const cut = chars.slice(0, max).join("");
  const space = cut.lastIndexOf(" ");
  return `${space > max * 0.6 ? cut.slice(0, space) : cut}…`;
}

function criterionItem(c, grade) {
  const v = verdictLook(c.verdict);
  const li = h("li", { class: `crit crit-${c.verdict}`, "data-criterion": c.id },
    h("p", { class: "crit-head" },
      h("span", { class: "verdict" }, h("span", { class: "icon", "aria-hidden": "true" }, v.icon), " ", v.label),
      h("span", { class: "crit-concept" }, c.concept),
      c.recovered ? h("span", { class: "badge badge-recovered" }, "Recovered after follow-up") : null));
  if (c.evidence && c.evidence.quote && c.verdict !== "missed") {
    li.appendChild(h("blockquote", { class: "quote", title: c.evidence.quote }, `“${shorten(c.evidence.quote)}”`));
  }
  if (c.note) li.appendChild(h("p", { class: "note" }, c.note));
  if (c.verdict !== "met" && c.why) {
    li.appendChild(h("p", { class: "why" }, h("strong", {}, "Why it matters: "), c.why));
  }
  return li;
}

/** The grade card: score, criteria with verdicts and evidence, why it matters, badges. */
export function gradeCard(t) {
  const g = t.grade;
  const recovered = g.criteria.some((c) => c.recovered);
  const label = t.kind === "followup" ? "Follow-up grade" : `Grade for question ${t.index}`;
  const noteId = `provisional-${t.turn}`;
  const card = h("section", { class: "grade-card", "aria-label": label, "data-revision": g.revision || 1,
    "data-needs-review": g.needs_review ? "true" : "false" },
    h("div", { class: "grade-head" },
      h("p", { class: "score" }, h("span", { class: "score-num" }, String(g.score)),
        h("span", { class: "score-of" }, " / 100")),
      scoreBar(g.score, `Score ${g.score} out of 100`),
      h("p", { class: "badges" },
        provisionalBadge(g, noteId),
        recovered ? h("span", { class: "badge badge-recovered", "data-badge": "recovered" }, "Recovered after follow-up") : null,
        (g.revision || 1) > 1 ? h("span", { class: "badge" }, `Revised (${g.revision})`) : null,
        g.insufficient_evidence ? h("span", { class: "badge badge-warn" }, "Insufficient evidence") : null)),
    g.needs_review ? h("p", { class: "provisional-note", id: noteId }, provisionalText(g)) : null,
    h("ul", { class: "criteria", "aria-label": "Criteria" }, g.criteria.map((c) => criterionItem(c, g))));
  if (g.reason) card.appendChild(h("p", { class: "note" }, g.reason));
  const prov = g.provenance;
  const by = prov?.fallback_used ? `${g.judge} judge (fallback: ${prov.fallback_reason || "primary failed"})` : `${g.judge} judge`;
  card.appendChild(h("p", { class: "judge" }, `Graded by the ${by}.`));
  return card;
}

/** A horizontal bar (plain divs; the width is set through the CSSOM, which the CSP allows). */
export function scoreBar(score, label) {
  const fill = h("div", { class: `bar-fill ${score >= 70 ? "good" : score >= 40 ? "mid" : "low"}` });
  fill.style.width = `${Math.max(0, Math.min(100, score))}%`;
  return h("div", { class: "bar", role: "img", "aria-label": label }, fill);
}

/** One transcript turn (a main question or a follow-up), updated in place. */
export class TurnView {
  constructor(t) {
    this.turn = t.turn;
    this.last = {};
    this.el = h("li", {
      class: `turn turn-${t.kind}`, "data-turn": t.turn, "data-question-id": t.question.question_id,
      "data-kind": t.kind,
    });
    this.question = h("div", { class: "msg msg-q" },
      h("p", { class: "meta" }, questionMeta(t)),
      h("p", { class: "q-text" }, t.question.text));
    this.answer = h("div", { class: "msg msg-a", hidden: true });
    this.feedback = h("div", { class: "feedback", "aria-live": "polite", "aria-atomic": "true", hidden: true });
    this.grade = h("div", { class: "grade-slot" });
    this.followups = h("ol", { class: "followups", "aria-label": "Follow-up questions" });
    append(this.el, [this.question, this.answer, this.feedback, this.grade, this.followups]);
  }

  update(t, pending) {
    const answerKey = `${t.answer}|${t.grade ? t.grade.seq : 0}|${t.accepted ? 1 : 0}|${t.skipped}|${pending}`;
    if (answerKey !== this.last.answer) {
      this.last.answer = answerKey;
      this.renderAnswer(t, pending);
    }
    this.renderFeedback(t);
    // Streamed feedback is announced once, complete: busy while it streams, until the grade.
    this.feedback.setAttribute("aria-busy", t.feedback && !t.grade ? "true" : "false");
    const gradeKey = t.grade ? t.grade.seq : 0;
    if (gradeKey !== this.last.grade) {
      this.last.grade = gradeKey;
      replaceChildren(this.grade, t.grade ? gradeCard(t) : null);
    }
  }

  renderAnswer(t, pending) {
    this.answer.hidden = false;
    if (t.skipped) {
      replaceChildren(this.answer, h("p", { class: "meta" }, "Skipped"));
      this.answer.classList.add("skipped");
      return;
    }
    this.answer.classList.remove("skipped");
    if (t.answer !== null) {
      const status = !t.accepted ? (pending ? "Sending…" : "Not sent yet") : !t.grade ? "Grading…" : null;
      replaceChildren(this.answer, h("p", { class: "meta" }, "Your answer", status ? ` · ${status}` : ""),
        t.code !== null ? h("pre", { class: "code-answer", "aria-label": "Your code" }, t.code) : null,
        t.code === null || t.answer ? answerBody(t) : null);
    } else if (t.accepted) {
      replaceChildren(this.answer, h("p", { class: "meta" }, `Answer received (${t.accepted.chars} characters)`),
        t.grade ? quotesOnly(t.grade) : null);
    } else {
      this.answer.hidden = true;
      replaceChildren(this.answer);
    }
  }

  renderFeedback(t) {
    const text = t.feedback || "";
    const shown = this.last.feedback || "";
    if (text === shown) return;
    this.feedback.hidden = !text;
    if (text.startsWith(shown) && this.feedback.lastChild) {
      this.feedback.lastChild.appendChild(document.createTextNode(text.slice(shown.length)));
    } else {
      replaceChildren(this.feedback, h("p", { class: "meta" }, "Feedback"), h("p", { class: "feedback-text" }, text));
    }
    this.last.feedback = text;
  }
}

function quotesOnly(grade) {
  const quotes = grade.criteria.filter((c) => c.evidence && c.evidence.quote).map((c) => c.evidence.quote);
  return quotes.length ? h("p", { class: "answer-text" }, quotes.map((q) => h("mark", { class: "ev" }, q)).flatMap((m) => [m, " … "]).slice(0, -1)) : null;
}

/** Keeps one TurnView per turn in `list`, nesting follow-ups under their main question. */
export class ChatView {
  constructor(list) {
    this.list = list;
    this.views = new Map();
  }

  clear() {
    this.views.clear();
    replaceChildren(this.list);
  }

  render(state, pendingTurn) {
    for (const main of state.threads) {
      const mv = this.view(main, this.list);
      mv.update(main, pendingTurn === main.turn);
      for (const f of main.followups) this.view(f, mv.followups).update(f, pendingTurn === f.turn);
    }
  }

  view(t, parent) {
    let v = this.views.get(t.turn);
    if (!v) {
      v = new TurnView(t);
      this.views.set(t.turn, v);
      parent.appendChild(v.el);
    }
    return v;
  }
}
