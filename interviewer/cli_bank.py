"""`interviewer bank lint`: review checks on a bank's content (rules in interviewer/core/bank_lint.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from interviewer.core.bank_lint import DUPLICATE_SIMILARITY
from interviewer.settings import Settings, get_settings


def _encoder(s: Settings) -> Any:
    from interviewer.adapters.encoder.sentence_transformer import SentenceTransformerEncoder

    return SentenceTransformerEncoder.from_settings(s)


def bank_lint(
    path: Annotated[list[Path] | None, typer.Argument(help="Bank roots (default: configured banks)")] = None,
    threshold: Annotated[float, typer.Option(
        min=0.5, max=1.0, help="Cosine similarity above which criteria of two questions overlap")
    ] = DUPLICATE_SIMILARITY,
    duplicates: Annotated[bool, typer.Option(
        "--duplicates/--no-duplicates", help="Compare criteria across questions (loads the encoder)")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Findings as a JSON list")] = False,
) -> None:
    """Flag name or figure key terms, bundled criteria, duplicate coverage and skewed tags.

    Exit 1 when there is an error-level finding (or the bank is invalid), 0 otherwise.
    """
    from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
    from interviewer.core.bank_lint import lint

    s = get_settings()
    bank = YamlQuestionBank.load(path or s.bank_roots, strict=False)
    if not bank.report.ok:
        for e in bank.report.errors:
            typer.echo(f"error: {e}", err=True)
        typer.echo("the bank is invalid: fix what `interviewer bank validate` reports first", err=True)
        raise typer.Exit(1)
    findings = lint(bank.all(), _encoder(s) if duplicates else None, threshold)
    errors = sum(f.level == "error" for f in findings)
    if as_json:
        typer.echo(json.dumps([{"level": f.level, "code": f.code, "where": f.where,
                                "message": f.message} for f in findings], indent=2))
    else:
        for f in findings:
            typer.echo(f.line())
        typer.echo(f"{len(bank.all())} questions, {errors} errors, {len(findings) - errors} warnings")
    raise typer.Exit(1 if errors else 0)
