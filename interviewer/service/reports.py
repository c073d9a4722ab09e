"""The candidate's report of one interview, as a self-contained HTML page and as a PDF.

Unlike the recruiter's export (service/exports.py) it speaks to the candidate: the score per topic,
each answer with every criterion's verdict and the evidence quoted from it, the feedback, the gaps
and why they matter, and the sample answer of each graded question.
"""

from __future__ import annotations

import html
import io
from datetime import UTC, datetime

from interviewer.schemas.views import InterviewRead
from interviewer.service.code_view import CODE_CSS, code_flowables, code_html

VERDICT_TEXT = {"met": "Met", "partial": "Partly met", "missed": "Missed", "contradicted": "Contradicted"}


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC") if ts else "-"


def _headline(t: InterviewRead) -> list[str]:
    score = "-" if t.score is None else f"{t.score} / 100"
    parts = [t.company or "Any company", t.difficulty or "any difficulty",
             f"{len([x for x in t.turns if x.kind == 'main'])} questions"]
    return [f"Overall score: {score}", " · ".join(parts), f"Taken {_when(t.created_at)}"]


def to_html(t: InterviewRead, samples: dict[str, str]) -> str:
    """A printable page: no script, no external resource (served with a CSP that allows none)."""
    e = html.escape
    head, meta, when = _headline(t)
    out = [f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Interview report</title>
<style>
body {{ font: 15px/1.5 system-ui, sans-serif; max-width: 50rem; margin: 2rem auto; padding: 0 1rem;
color: #111; }}
table {{ border-collapse: collapse; width: 100%; }} td, th {{ border: 1px solid #bbb; padding: 4px 6px;
text-align: left; vertical-align: top; }} .answer, .sample {{ white-space: pre-wrap; background: #f4f4f4;
padding: 8px; }} section {{ break-inside: avoid; margin-top: 1.5rem; }} q {{ font-style: italic; }}
{CODE_CSS}
@media print {{ body {{ margin: 0; }} }}
</style></head><body>
<h1>Interview report</h1>
<p><b>{e(head)}</b></p><p>{e(meta)} · {e(when)}</p>"""]
    if t.summary and t.summary.per_topic:
        out.append("<h2>Score per topic</h2><table><tr><th>Topic</th><th>Score</th></tr>")
        out += [f"<tr><td>{e(k)}</td><td>{v}</td></tr>" for k, v in t.summary.per_topic.items()]
        out.append("</table>")
    if t.summary and t.summary.gaps:
        out.append("<h2>Gaps to work on</h2><ul>")
        for gap in t.summary.gaps:
            why = f"<br>Why it matters: {e(gap.why)}" if gap.why else ""
            out.append(f"<li class='gap'><b>{e(gap.concept)}</b>{why}</li>")
        out.append("</ul>")
    for turn in t.turns:
        kind = "" if turn.kind == "main" else " (follow-up)"
        answer = turn.answer or f"(no answer: {turn.status})"
        out.append(f"<section class='turn'><h2>Question {turn.main_index}{kind}</h2>"
                   f"<p>{e(turn.question)}</p>")
        if turn.code is not None:  # a coding question: the code and its tests, then the explanation
            out.append(code_html(turn, "Your code"))
            out.append(f"<h3>Your explanation</h3><p class='answer'>{e(turn.answer or '(none)')}</p>")
        else:
            out.append(f"<h3>Your answer</h3><p class='answer'>{e(answer)}</p>")
        g = turn.grade
        if g is not None:
            out.append(f"<p><b>Score {g.score} / 100</b></p>")
            out.append("<table><tr><th>Concept</th><th>Verdict</th><th>Evidence from your answer</th></tr>")
            for c in g.criteria:
                quote = f"<q>{e(c.evidence.quote)}</q>" if c.evidence else "-"
                out.append(f"<tr><td>{e(c.concept)}</td><td>{VERDICT_TEXT.get(c.verdict, c.verdict)}</td>"
                           f"<td>{quote}</td></tr>")
            out.append("</table>")
            if g.feedback:
                out.append(f"<h3>Feedback</h3><p class='feedback'>{e(g.feedback)}</p>")
            if turn.question_id in samples and turn.kind == "main":
                out.append(f"<h3>A sample answer</h3><p class='sample'>{e(samples[turn.question_id])}</p>")
        out.append("</section>")
    out.append("</body></html>\n")
    return "\n".join(out)


def to_pdf(t: InterviewRead, samples: dict[str, str]) -> bytes:
    """The same report as a PDF (reportlab, already a dependency for the recruiter's export)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    st = getSampleStyleSheet()
    e = html.escape
    head, meta, when = _headline(t)
    story: list[object] = [Paragraph("Interview report", st["Title"]), Paragraph(e(head), st["Heading2"]),
                           Paragraph(e(f"{meta} · {when}"), st["Normal"])]
    if t.summary and t.summary.per_topic:
        story += [Paragraph("Score per topic", st["Heading2"]),
                  Table([["Topic", "Score"]] + [[k, str(v)] for k, v in t.summary.per_topic.items()])]
    if t.summary and t.summary.gaps:
        story.append(Paragraph("Gaps to work on", st["Heading2"]))
        for gap in t.summary.gaps:
            why = f" Why it matters: {e(gap.why)}" if gap.why else ""
            story.append(Paragraph(f"<b>{e(gap.concept)}</b>.{why}", st["BodyText"]))
    for turn in t.turns:
        kind = "" if turn.kind == "main" else " (follow-up)"
        story += [Spacer(1, 8), Paragraph(f"Question {turn.main_index}{kind}", st["Heading2"]),
                  Paragraph(e(turn.question), st["BodyText"])]
        if turn.code is not None:
            story += [*code_flowables(turn, st, "Your code"), Paragraph("Your explanation", st["Heading3"]),
                      Paragraph(e(turn.answer or "(none)"), st["BodyText"])]
        else:
            story += [Paragraph("Your answer", st["Heading3"]),
                      Paragraph(e(turn.answer or f"(no answer: {turn.status})"), st["BodyText"])]
        g = turn.grade
        if g is None:
            continue
        story.append(Paragraph(f"<b>Score {g.score} / 100</b>", st["Normal"]))
        rows = [["Concept", "Verdict", "Evidence from your answer"]] + [
            [Paragraph(e(c.concept), st["BodyText"]), VERDICT_TEXT.get(c.verdict, c.verdict),
             Paragraph(e(c.evidence.quote) if c.evidence else "-", st["BodyText"])] for c in g.criteria]
        story.append(Table(rows, colWidths=[140, 80, 280]))
        if g.feedback:
            story += [Paragraph("Feedback", st["Heading3"]), Paragraph(e(g.feedback), st["BodyText"])]
        if turn.question_id in samples and turn.kind == "main":
            story += [Paragraph("A sample answer", st["Heading3"]),
                      Paragraph(e(samples[turn.question_id]), st["BodyText"])]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, title="Interview report").build(story)
    return buf.getvalue()
