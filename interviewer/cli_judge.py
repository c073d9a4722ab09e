"""`interviewer judge train` and `interviewer eval interviews`: the claim verifier's tools."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from interviewer.settings import Settings, get_settings

if TYPE_CHECKING:
    from interviewer.adapters.encoder.sentence_transformer import SentenceTransformerEncoder

judge_app = typer.Typer(help="The offline judge's claim verifier.", no_args_is_help=True)


def recipe_encoder(settings: Settings) -> SentenceTransformerEncoder:
    """The encoder the training recipes are defined on: torch, whatever runtime the server uses
    (the shipped verifiers were trained on torch's vectors; int8's differ a little)."""
    from interviewer.adapters.encoder.sentence_transformer import SentenceTransformerEncoder

    return SentenceTransformerEncoder.from_settings(settings.model_copy(update={"encoder_backend": "torch"}))


@judge_app.command("train")
def judge_train(
    out: Annotated[Path | None, typer.Option(help="Weights file (default: the packaged one)")] = None,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
    epochs: Annotated[int, typer.Option(help="Most epochs (early stopping on validation)")] = 30,
) -> None:
    """Train the claim verifier from datasets/claims/ and the bank (reproducible, ~5 min on 2 cores)."""
    from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
    from interviewer.adapters.judge.offline.claim_verifier import DEFAULT_VERIFIER
    from interviewer.judge_train import TrainConfig, train_verifier

    s = get_settings()
    bank = YamlQuestionBank.load(s.bank_roots)
    target = out or DEFAULT_VERIFIER
    meta = train_verifier(recipe_encoder(s), list(bank.all()), target,
                          tc=TrainConfig(seed=seed, epochs=epochs),
                          log=lambda m: typer.echo(m, err=True))
    typer.echo(f"wrote {target} (sha256 {meta['weights_sha256'][:16]}...)")
    for split in ("train", "validation", "held_out"):
        m = meta["metrics"][split]
        typer.echo(f"{split:<10} pairs {m['n']:5d}  accuracy {m['accuracy']:.3f}  recall "
                   + "  ".join(f"{k} {v:.3f}" for k, v in m["recall"].items() if v is not None))


@judge_app.command("train-cross")
def judge_train_cross(
    out: Annotated[Path | None, typer.Option(help="Weights file (default: the packaged one)")] = None,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
    contrast: Annotated[bool, typer.Option(
        help="Version 5's recipe: also datasets/claims/contrast/ (tried, not shipped; docs/grading.md)")]
    = False,
) -> None:
    """Train the cross-encoder claim verifier from datasets/claims/ and the bank (about 15 min on
    2 idle cores; the recipe is in interviewer/judge_train_cross.py)."""
    from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
    from interviewer.adapters.judge.offline.cross_verifier import DEFAULT_CROSS
    from interviewer.judge_train_cross import CrossTrainConfig, train_cross

    s = get_settings()
    bank = YamlQuestionBank.load(s.bank_roots)
    target = out or DEFAULT_CROSS
    meta = train_cross(list(bank.all()), recipe_encoder(s), target,
                       tc=CrossTrainConfig(seed=seed, contrast=contrast), encoder_path=s.encoder_path,
                       log=lambda m: typer.echo(m, err=True))
    typer.echo(f"wrote {target} (sha256 {meta['weights_sha256'][:16]}...)")
    for split, m in meta["metrics"].items():
        if "accuracy" not in m:  # true sentences: the share read as contradicting
            typer.echo(f"{split:<18} pairs {m['n']:5d}  false contradictions {m['false_contradictions']}")
            continue
        typer.echo(f"{split:<18} pairs {m['n']:5d}  accuracy {m['accuracy']:.3f}  recall "
                   + "  ".join(f"{k} {v:.3f}" for k, v in m["recall"].items() if v is not None))


def eval_interviews(
    split: Annotated[str, typer.Option(
        help="dev | dev2 | test | holdout (datasets/interviews/<split>.yaml), or a path")]
    = "dev",
    verify: Annotated[bool | None, typer.Option(
        "--verify/--no-verify",
        help="With or without the claim verifier scoring (default: INTERVIEWER_JUDGE_VERIFY, on; "
             "--review wins)")]
    = None,
    verifier: Annotated[str, typer.Option(help="Which verifier with --verify: cross | head")] = "cross",
    review: Annotated[bool, typer.Option(
        help="The verifier only flags; the score is the default judge's")]
    = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    show: Annotated[bool, typer.Option(help="Print every answer's score beside its hand grade")] = False,
    quiet: Annotated[bool, typer.Option(help="No progress bar")] = False,
) -> None:
    """Hand-graded interview answers for questions outside the bank: Spearman and per-kind means."""
    from tqdm import tqdm

    from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
    from interviewer.adapters.encoder.sentence_transformer import SentenceTransformerEncoder
    from interviewer.adapters.judge.offline.judge import OfflineJudge
    from interviewer.evaluation.interviews import (
        INTERVIEWS_DIR,
        evaluate_interviews,
        load_interviews,
        summarise,
    )

    path = Path(split) if split.endswith((".yaml", ".yml")) else INTERVIEWS_DIR / f"{split}.yaml"
    settings = get_settings()
    verify = settings.judge_verify if verify is None else verify
    judge = OfflineJudge(SentenceTransformerEncoder.from_settings(settings), verify=verify,
                         verifier=verifier, review=review,
                         clause_top_k=settings.judge_verify_top_k or None,
                         verifier_backend=settings.judge_verifier_backend,
                         onnx_cache=settings.encoder_cache_dir)
    with tqdm(total=len(load_interviews(path)), desc="grading", unit="answer", file=sys.stderr,
              disable=quiet or not sys.stderr.isatty()) as bar:
        graded = evaluate_interviews(path, judge, YamlQuestionBank.load(settings.bank_roots), bar.update)
    rep = summarise(graded)
    if as_json:
        typer.echo(json.dumps(rep, indent=2))
    else:
        typer.echo(f"judge: offline ({judge.prompt_version})  answers: {rep['n']}  "
                   f"spearman {rep['spearman']:.3f}  pearson {rep['pearson']:.3f}")
        for kind, v in rep["per_kind"].items():
            cap = "" if v["within_cap"] is None else f"  within cap {v['within_cap'] * 100:5.1f} %"
            typer.echo(f"  {kind:<15} n {v['n']:3d}  mean {v['mean']:5.1f}  hand {v['hand']:5.1f}  "
                       f"provisional {v['provisional'] * 100:5.1f} %{cap}")
        for name, ok in rep["checks"].items():
            typer.echo(f"  {'ok  ' if ok else 'FAIL'} {name}")
    if show:
        for g in graded:
            typer.echo(f"{g.item.question.id:<36} {g.item.kind:<15} hand {g.item.grade:3.1f}  "
                       f"score {g.score:3d}  {','.join(g.flags)}")
    raise typer.Exit(0 if all(rep["checks"].values()) else 1)
