"""Exports of one transcript: JSON (versioned), CSV (one row per criterion verdict), HTML and PDF."""

from __future__ import annotations

import csv
import html
import io
import json
from datetime import UTC, datetime

from interviewer.schemas.views import InterviewRead, TurnRead
from interviewer.service.code_view import CODE_CSS, code_flowables, code_html

CSV_COLUMNS = (
    "session_id", "candidate_ref", "status", "interview_score", "turn", "kind", "question_id",
    "question", "grade_score", "ai_grade_score", "grade_overridden", "criterion_id", "concept",
    "weight", "verdict", "ai_verdict", "recovered", "confidence", "evidence_start", "evidence_end",
    "evidence_quote", "judge", "model", "flags", "needs_review",
)


def to_json(t: InterviewRead) -> str:
    return json.dumps(t.model_dump(mode="json", by_alias=True), indent=2, ensure_ascii=False)


def _safe(value: object) -> object:
    # Cells starting with = + - @ are formulas to spreadsheets: quote them (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(t: InterviewRead) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for turn in t.turns:
        g = turn.grade
        if g is None:
            continue
        prov = g.provenance
        for c in g.criteria:
            ev = c.evidence
            row = (
                t.session_id, t.candidate_ref or "", t.status, "" if t.score is None else t.score,
                turn.index, turn.kind, turn.question_id, turn.question, g.score,
                "" if g.ai_score is None else g.ai_score, g.overridden, c.id, c.concept, c.weight,
                c.verdict, c.ai_verdict or "", c.recovered, c.confidence,
                ev.start if ev else "", ev.end if ev else "", ev.quote if ev else "",
                g.judge, prov.model if prov else "", ";".join(g.flags), g.needs_review,
            )
            w.writerow([_safe(v) for v in row])
    return out.getvalue()


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC") if ts else "-"


def _turn_html(turn: TurnRead) -> str:
    e = html.escape
    head = f"{turn.main_index}{'' if turn.kind == 'main' else ' (follow-up)'}. {e(turn.question)}"
    empty = "(no explanation)" if turn.code is not None else f"(no answer: {turn.status})"
    parts = [f"<section class='turn'><h2>{head}</h2>", code_html(turn, "Submitted code"),
             f"<p class='answer'>{e(turn.answer or empty)}</p>"]
    g = turn.grade
    if g is not None:
        was = f" (judge: {g.ai_score})" if g.overridden and g.ai_score is not None else ""
        review = " &middot; <b>provisional: needs review</b>" if g.needs_review else ""
        parts.append(f"<p><b>Score {g.score}/100</b>{e(was)} &middot; judge {e(g.judge)}{review}</p>")
        parts.append("<table><tr><th>Concept</th><th>Verdict</th><th>Evidence</th></tr>")
        for c in g.criteria:
            verdict = c.verdict + (f" (judge: {c.ai_verdict})" if c.ai_verdict else "")
            verdict += " · recovered" if c.recovered else ""
            quote = e(c.evidence.quote) if c.evidence else ""
            parts.append(f"<tr><td>{e(c.concept)}</td><td>{e(verdict)}</td><td>{quote}</td></tr>")
        parts.append("</table>")
        if g.feedback:
            parts.append(f"<p class='feedback'>{e(g.feedback)}</p>")
    parts.append("</section>")
    return "\n".join(parts)


def to_html(t: InterviewRead) -> str:
    """A self-contained printable report (no scripts, no external resources)."""
    e = html.escape
    score = "-" if t.score is None else f"{t.score}/100"
    gaps = ", ".join(e(g.concept) for g in t.summary.gaps) if t.summary else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Interview {e(t.session_id)}</title>
<style>
body {{ font: 14px/1.45 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; color: #111; }}
table {{ border-collapse: collapse; width: 100%; }} td, th {{ border: 1px solid #ccc; padding: 4px 6px;
text-align: left; vertical-align: top; }} .answer {{ white-space: pre-wrap; background: #f6f6f6;
padding: 8px; }} .turn {{ page-break-inside: avoid; margin-top: 1.5rem; }}
{CODE_CSS}
@media print {{ body {{ margin: 0; }} }}
</style></head><body>
<h1>Interview report</h1>
<p>Session {e(t.session_id)} &middot; candidate {e(t.candidate_ref or '-')} &middot; status {e(t.status)}</p>
<p>Started {_when(t.created_at)} &middot; finished {_when(t.finished_at)}</p>
<p><b>Overall score: {score}</b>{' &middot; reviewed by a human' if t.overridden else ''}\
{' &middot; provisional grades need review' if t.needs_review else ''}</p>
<p>Gaps: {gaps or '-'}</p>
<p>Flags: {e(', '.join(t.flags)) or '-'}</p>
{''.join(_turn_html(turn) for turn in t.turns)}
<p><small>Schema {e(t.schema_)}. Scores are computed from the weighted verdicts.</small></p>
</body></html>
"""


def to_pdf(t: InterviewRead) -> bytes:
    """The report as PDF, drawn with reportlab."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    styles = getSampleStyleSheet()
    e = html.escape
    story: list[object] = [
        Paragraph("Interview report", styles["Title"]),
        Paragraph(f"Session {e(t.session_id)} · candidate {e(t.candidate_ref or '-')} · "
                  f"status {e(t.status)}", styles["Normal"]),
        Paragraph(f"Overall score: {'-' if t.score is None else t.score}/100", styles["Heading2"]),
    ]
    for turn in t.turns:
        kind = "" if turn.kind == "main" else " (follow-up)"
        story += [Spacer(1, 8), Paragraph(f"{turn.main_index}{kind}. {e(turn.question)}", styles["Heading3"]),
                  *code_flowables(turn, styles, "Submitted code"),
                  Paragraph(e(turn.answer or ("(no explanation)" if turn.code is not None
                                              else f"(no answer: {turn.status})")), styles["BodyText"])]
        g = turn.grade
        if g is None:
            continue
        was = f" (judge: {g.ai_score})" if g.overridden and g.ai_score is not None else ""
        review = " · provisional: needs review" if g.needs_review else ""
        story.append(Paragraph(f"Score {g.score}/100{e(was)}{review}", styles["Normal"]))
        rows = [["Concept", "Verdict", "Evidence"]] + [
            [Paragraph(e(c.concept), styles["BodyText"]),
             c.verdict + (f" (judge: {c.ai_verdict})" if c.ai_verdict else ""),
             Paragraph(e(c.evidence.quote) if c.evidence else "", styles["BodyText"])]
            for c in g.criteria]
        story.append(Table(rows, colWidths=[140, 110, 250]))
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, title=f"Interview {t.session_id}").build(story)
    return buf.getvalue()
