"""A coding answer in the printable reports (the candidate's and the recruiter's): the submitted code
in a monospace block, then one row per test group with its result and the reason it failed."""

from __future__ import annotations

import html
from typing import Any

from interviewer.core.code_grade import is_test_criterion
from interviewer.schemas.views import TurnRead

RESULT_TEXT = {"met": "passed", "partial": "partly passed", "missed": "failed", "contradicted": "failed"}
PDF_LINE = 95  # characters of code per PDF line (Courier 8 pt on A4); longer lines wrap

CODE_CSS = (".code { font: 12.5px/1.4 ui-monospace, 'DejaVu Sans Mono', monospace; white-space: pre-wrap; "
            "overflow-wrap: anywhere; background: #f4f4f4; border: 1px solid #ddd; padding: 8px; }")


def group_rows(turn: TurnRead) -> list[tuple[str, str, str]]:
    """(test group, result, details) for each test group of a graded coding answer."""
    if turn.code is None or turn.grade is None:
        return []
    return [(c.concept, RESULT_TEXT.get(c.verdict, c.verdict)
             + (" (recovered in a follow-up)" if c.recovered else ""), c.note)
            for c in turn.grade.criteria if is_test_criterion(c.id)]


def code_html(turn: TurnRead, heading: str) -> str:
    """The code block and its test-group table, or "" for a written answer."""
    if turn.code is None:
        return ""
    e = html.escape
    out = [f"<h3>{e(heading)}</h3>", f"<pre class='code'><code>{e(turn.code)}</code></pre>"]
    rows = group_rows(turn)
    if rows:
        out.append("<table class='tests'><tr><th>Test group</th><th>Result</th><th>Details</th></tr>")
        out += [f"<tr><td>{e(name)}</td><td>{e(result)}</td><td>{e(note)}</td></tr>"
                for name, result, note in rows]
        out.append("</table>")
    return "\n".join(out)


def code_flowables(turn: TurnRead, styles: Any, heading: str) -> list[object]:
    """The same for a reportlab story: a Courier block (long lines wrapped) and the table."""
    from reportlab.platypus import Paragraph, Preformatted, Table

    if turn.code is None:
        return []
    e = html.escape
    story: list[object] = [Paragraph(e(heading), styles["Heading3"]),
                           Preformatted(turn.code, styles["Code"], maxLineLength=PDF_LINE, newLineChars="")]
    rows = group_rows(turn)
    if rows:
        story.append(Table([["Test group", "Result", "Details"]] + [
            [Paragraph(e(name), styles["BodyText"]), result, Paragraph(e(note), styles["BodyText"])]
            for name, result, note in rows], colWidths=[150, 90, 260]))
    return story
