"""The `interviewer` command line: serve, grade, bank and evaluation tools."""

from __future__ import annotations

import asyncio
import faulthandler
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from interviewer.cli_admin import interviews_app, keys_app, print_json
from interviewer.cli_bank import bank_lint
from interviewer.cli_db import check_database, db_app
from interviewer.cli_judge import eval_interviews, judge_app
from interviewer.errors import SchemaMismatch
from interviewer.settings import REPO_ROOT, Settings, get_settings, open_bind_refusal

app = typer.Typer(help="Mock interviews for LLM and Transformer roles.", no_args_is_help=True)
bank_app = typer.Typer(help="Question bank tools.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure the judge.", no_args_is_help=True)
app.add_typer(bank_app, name="bank")
app.add_typer(eval_app, name="eval")
app.add_typer(judge_app, name="judge")
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(interviews_app, name="interviews")
eval_app.command("interviews")(eval_interviews)


# Long runs show a progress bar on stderr when it is a terminal; --quiet turns it off.
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar on stderr")]


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (INTERVIEWER_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (INTERVIEWER_PORT)")] = None,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development)")] = False,
) -> None:
    """Serve the chat UI, the REST API and the websocket on HOST:PORT."""
    import uvicorn

    from interviewer import logs

    s = get_settings()
    host = host or s.host
    port = port or s.port
    if (refusal := open_bind_refusal(host, s.auth)) is not None:
        typer.echo(refusal, err=True)
        raise typer.Exit(2)
    try:
        check_database(s)  # refuse an unknown newer schema (and, on Postgres, one not upgraded yet)
    except SchemaMismatch as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(2) from None
    logs.setup(s.log_level, json_logs=s.log_json)
    ws_max = max(1024 * 1024, 4 * s.max_message_bytes)
    if reload:
        uvicorn.run("interviewer.api.app:create_app", factory=True, host=host, port=port,
                    reload=True, ws_max_size=ws_max, proxy_headers=False, log_level=s.log_level.lower(),
                    log_config=None)
        return
    from interviewer.api.app import create_app

    # proxy_headers=False: uvicorn would believe X-Forwarded-For from 127.0.0.1 by default; the app
    # decides itself, from INTERVIEWER_TRUSTED_PROXIES. log_config=None: uvicorn's access and error
    # lines go through logs.setup's handler, in the app's format.
    # `kill -USR1 <pid>` writes every thread's stack to stderr and the server goes on (docs/deployment.md).
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    uvicorn.run(create_app(s), host=host, port=port, ws_max_size=ws_max, proxy_headers=False,
                log_level=s.log_level.lower(), timeout_graceful_shutdown=20, log_config=None)


@app.command()
def grader(
    name: Annotated[str | None, typer.Option(help="This grader's consumer name (default: random)")] = None,
) -> None:
    """Grade jobs from Redis for apps run with INTERVIEWER_REMOTE_GRADERS=true (until SIGTERM)."""

    from interviewer import logs
    from interviewer.wiring import run_grader

    s = get_settings()
    logs.setup(s.log_level, json_logs=s.log_json)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run_grader(s, stop, consumer=name)

    try:
        asyncio.run(main())
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


@app.command()
def grade(
    answer: Annotated[str | None, typer.Option(help="The answer text ('-' reads stdin)")] = None,
    question_id: Annotated[str | None, typer.Option(help="A bank question id")] = None,
    question: Annotated[str | None, typer.Option(help="Your own question text")] = None,
    sample_answer: Annotated[str | None, typer.Option(help="Its sample answer")] = None,
    file: Annotated[
        Path | None, typer.Option(help="JSON file with the same fields as POST /v1/grade")
    ] = None,
) -> None:
    """Grade one answer and print the grade as JSON."""
    from interviewer.schemas.rest import GradeCreate
    from interviewer.service.grading import grade_answer
    from interviewer.service.messages import grade_body
    from interviewer.wiring import build_services

    if file is not None:
        body = GradeCreate.model_validate_json(file.read_text(encoding="utf-8"))
    else:
        text = sys.stdin.read() if answer == "-" else answer
        if text is None:
            raise typer.BadParameter("give --answer (or --file)")
        body = GradeCreate(answer=text, question_id=question_id, question=question,
                           sample_answer=sample_answer)
    if body.answer is None:
        raise typer.BadParameter("code answers are graded by POST /v1/grade (the server runs the sandbox)")
    svc = build_services(get_settings())
    answer = body.answer

    async def run() -> Any:
        try:
            q, g = await grade_answer(svc, answer=answer, question_id=body.question_id,
                                      question=body.question, sample_answer=body.sample_answer)
            return grade_body(g, svc.rubrics.get(q))
        finally:
            # In this loop: a PostgreSQL pool left to asyncio.run's cancellation can hang it (a
            # pool worker busy with a connection swallows the cancel and waits for work).
            await svc.aclose()

    print_json(asyncio.run(run()).model_dump(mode="json"))


@bank_app.command("validate")
def bank_validate(
    path: Annotated[list[Path] | None, typer.Argument(help="Bank roots (default: configured banks)")] = None,
) -> None:
    """Validate question and rubric files; exit 1 on any error."""
    from interviewer.adapters.bank.yaml_bank import YamlQuestionBank

    roots = path or get_settings().bank_roots
    bank = YamlQuestionBank.load(roots, strict=False)
    rep = bank.report
    for e in rep.errors:
        typer.echo(f"error: {e}", err=True)
    for w in rep.warnings:
        typer.echo(f"warning: {w}", err=True)
    typer.echo(f"{rep.questions} questions, {rep.rubrics} rubrics, {len(rep.errors)} errors")
    raise typer.Exit(0 if rep.ok else 1)


bank_app.command("lint")(bank_lint)


@bank_app.command("schema")
def bank_schema(
    kind: Annotated[str, typer.Argument(help="questions | rubric | bank")] = "questions",
) -> None:
    """Print the JSON Schema of a bank file, generated from the pydantic models."""
    from interviewer.adapters.bank.schema import BankFile, QuestionsFile, RubricFile

    models: dict[str, Any] = {"questions": QuestionsFile, "rubric": RubricFile, "bank": BankFile}
    if kind not in models:
        raise typer.BadParameter(f"choose one of {sorted(models)}")
    print_json(models[kind].model_json_schema())


index_app = typer.Typer(help="The FAISS concept index.", no_args_is_help=True)
app.add_typer(index_app, name="index")
rubrics_app = typer.Typer(help="Rubric tools.", no_args_is_help=True)
app.add_typer(rubrics_app, name="rubrics")


@index_app.command("build")
def index_build(
    force: Annotated[bool, typer.Option(help="Rebuild even when the saved index matches")] = False,
) -> None:
    """Build (or load) the concept index for the configured banks, as the server does at start."""
    from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
    from interviewer.adapters.encoder.sentence_transformer import SentenceTransformerEncoder
    from interviewer.adapters.retrieval.faiss_index import (
        ConceptIndex,
        cards_for,
        index_hash,
        load_or_build,
    )

    s = get_settings()
    bank = YamlQuestionBank.load(s.bank_roots)
    encoder = SentenceTransformerEncoder.from_settings(s)
    directory = Path(s.data_dir) / "index"
    if force:
        h = index_hash(bank, encoder)
        index = ConceptIndex.build(cards_for(bank), encoder)
        index.save(directory, h)
        built = True
    else:
        index, built = load_or_build(bank, encoder, directory)
    state = "built" if built else "up to date"
    typer.echo(f"concept index {state}: {len(index.cards)} cards in {directory}")


@rubrics_app.command("derive")
def rubrics_derive(
    question_ids: Annotated[
        list[str] | None, typer.Argument(help="Question ids (`ns:id` for extra banks)")
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Every question of the banks")] = False,
    bank: Annotated[
        list[Path] | None, typer.Option(help="Bank root (repeatable; default: configured banks)")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write <id>.yaml drafts into this directory")] = None,
    write: Annotated[
        bool, typer.Option("--write", help="Write into the bank's own rubrics/<id>.yaml")
    ] = False,
    force: Annotated[bool, typer.Option(help="Replace reviewed rubrics too")] = False,
    offline: Annotated[
        bool, typer.Option(help="Derive offline even when INTERVIEWER_JUDGE_MODEL is set")
    ] = False,
    quiet: Quiet = False,
) -> None:
    """Derive draft rubrics from sample answers (LLM if configured, else offline); print them as YAML."""
    from interviewer import rubric_drafts as rd
    from interviewer.errors import NotFound
    from interviewer.progress import Tracked, bar

    if bool(question_ids) == every:
        raise typer.BadParameter("give question ids or --all (not both)")
    if out is not None and write:
        raise typer.BadParameter("--out and --write exclude each other")
    s = get_settings()
    try:
        located = rd.locate(bank or s.bank_roots, question_ids or [], every=every)
    except NotFound as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    llm = None if offline else rd.build_llm_deriver(s)
    encoder: list[Any] = []  # loaded once, and only when a draft is derived offline

    def load_encoder() -> Any:
        encoder[:] = encoder or [_encoder(s)]
        return encoder[0]

    progress = bar(total=len(located), desc="rubrics", unit="question", quiet=quiet)
    try:
        outcomes = asyncio.run(rd.derive_each(
            Tracked(located, progress), out=out, in_bank=write, force=force, encoder=load_encoder,
            llm=llm))
    finally:
        progress.close()
    printed = 0
    for o in outcomes:
        if o.draft is None:
            typer.echo(f"error: {o.error}", err=True)
            continue
        if o.draft.warning:
            typer.echo(f"warning: {o.draft.warning}", err=True)
        r = o.draft.rubric
        if o.target is None:
            typer.echo(("---\n" if printed else "") + rd.render(o.draft, o.loc), nl=False)
            printed += 1
        else:
            typer.echo(f"{o.loc.question.id}: wrote {o.target} (version {r.version}, "
                       f"{len(r.criteria)} criteria, {o.draft.how})", err=True)
    raise typer.Exit(1 if any(o.draft is None for o in outcomes) else 0)


def _encoder(s: Settings) -> Any:
    from interviewer.adapters.encoder.sentence_transformer import SentenceTransformerEncoder

    return SentenceTransformerEncoder.from_settings(s)


@eval_app.command("asag")
def eval_asag(
    data: Annotated[Path, typer.Option(help="CSV in the ASAG format (see datasets/asag/README.md)")],
    limit: Annotated[int | None, typer.Option(help="Grade only the first N answers")] = None,
    judge: Annotated[str, typer.Option(help="offline | configured (INTERVIEWER_JUDGE_MODEL)")] = "offline",
    quiet: Quiet = False,
) -> None:
    """Agreement with human grades: Pearson r, Spearman rho, RMSE, overall and per question."""
    from interviewer.evaluation.asag import as_question, derive_rubrics, load_asag, report
    from interviewer.progress import Tracked, bar
    from interviewer.wiring import build_services

    svc = build_services(get_settings())
    chosen = svc.judge if judge == "configured" else _offline(svc.encoder)
    items = load_asag(data, limit)
    progress = bar(total=len(items), desc="rubrics", unit="answer", quiet=quiet)
    try:
        rubrics = derive_rubrics(Tracked(items, progress), svc.encoder)
    finally:
        progress.close()

    async def run() -> list[float]:
        sem = asyncio.Semaphore(8)
        graded = bar(total=len(items), desc="grading", unit="answer", quiet=quiet)

        async def one(i: int) -> float:
            it = items[i]
            async with sem:
                g = await chosen.grade(question=as_question(it), rubric=rubrics[it.question_id],
                                       answer=it.answer)
            graded.update(1)
            return g.score / 20.0

        try:
            return list(await asyncio.gather(*(one(i) for i in range(len(items)))))
        finally:
            graded.close()

    rep = report(items, asyncio.run(run()))
    o, p = rep.overall, rep.per_question
    typer.echo(f"judge: {chosen.name}  answers: {o.n}  questions: {p.n}")
    typer.echo(f"overall       pearson {o.pearson:.3f}  spearman {o.spearman:.3f}  rmse {o.rmse:.3f}")
    typer.echo(f"per question  pearson {p.pearson:.3f}  spearman {p.spearman:.3f}  rmse {p.rmse:.3f}")


@eval_app.command("practice")
def eval_practice(
    labels: Annotated[str, typer.Option("--set", help="v2 (gaps_v2.yaml) or v1 (relevance.yaml)")] = "v2",
    split: Annotated[str, typer.Option(help="dev, test or all (v1: all)")] = "dev",
    index_dir: Annotated[Path | None, typer.Option(help="Concept index folder (default: data dir)")] = None,
    cases: Annotated[bool, typer.Option(help="Print every gap's top two")] = False,
) -> None:
    """Practice suggestions against the labelled gap -> question sets: precision@2, recall@2, MRR."""
    from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
    from interviewer.adapters.retrieval.faiss_index import FaissRetriever, load_or_build
    from interviewer.evaluation.practice import case_line, evaluate, labelled_set, summary_line

    s = get_settings()
    bank = YamlQuestionBank.load(s.bank_roots)
    try:
        chosen, universe = labelled_set(bank, labels, split)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    encoder = _encoder(s)
    index, _ = load_or_build(bank, encoder, index_dir or Path(s.data_dir) / "index", progress=False)
    report = evaluate(bank, FaissRetriever(bank, encoder, index), chosen, universe=universe)
    for c in report.cases if cases else ():
        typer.echo(case_line(c))
    typer.echo(summary_line(labels, split, report))


def _offline(encoder: Any) -> Any:
    """The offline judge as configured (INTERVIEWER_JUDGE_VERIFY and _VERIFIER included)."""
    from interviewer.adapters.judge.offline.judge import OfflineJudge

    s = get_settings()
    return OfflineJudge(encoder, verify=s.judge_verify, verifier=s.judge_verifier,
                        clause_top_k=s.judge_verify_top_k or None,
                        verifier_backend=s.judge_verifier_backend, onnx_cache=s.encoder_cache_dir)


@eval_app.command("robustness")
def eval_robustness(quiet: Quiet = False) -> None:
    """Run the gaming suite (padding, keyword lists, echo, off-topic, injection) over the bank."""
    from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
    from interviewer.adapters.encoder.sentence_transformer import SentenceTransformerEncoder
    from interviewer.evaluation.robustness import run_robustness
    from interviewer.progress import Tracked, bar

    s = get_settings()
    bank = YamlQuestionBank.load(s.bank_roots)
    judge = _offline(SentenceTransformerEncoder.from_settings(s))
    questions = list(bank.all())
    progress = bar(total=len(questions), desc="robustness", unit="question", quiet=quiet)
    try:
        rates = run_robustness(Tracked(questions, progress), judge)
    finally:
        progress.close()
    width = max(map(len, rates))
    for attack, rate in rates.items():
        typer.echo(f"{attack:<{width}} {rate * 100:6.1f} %")
    raise typer.Exit(0 if all(r == 1.0 for r in rates.values()) else 1)


__all__ = ["REPO_ROOT", "Settings", "app"]
