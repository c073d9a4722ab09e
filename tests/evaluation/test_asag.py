"""ASAG agreement with the human grades: the whole dev file, and a fixed 154-answer subset."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from interviewer.adapters.judge.offline.judge import OfflineJudge
from interviewer.core.ports import Encoder
from interviewer.evaluation.asag import evaluate_asag, load_asag, metrics
from interviewer.settings import Settings
from interviewer.wiring import build_offline_judge

DEV = Path(__file__).resolve().parents[2] / "datasets" / "asag" / "mohler_dev.csv"
# Measured on this subset with the packaged calibration; the floor leaves a margin for noise.
PEARSON_FLOOR = 0.55  # measured 0.678 (calibration offline-v4, with the verifier scoring)
# measured 1.72; 1.44 with offline-v3, before a criterion had to beat the question's own token
# recall: that bar lowers terse answers that repeat the question's words (Pearson on the whole file
# rose, 0.622 -> 0.636; docs/grading.md, "Restatements")
RMSE_CEILING = 1.8
# Issue 4's target on the development file, through the judge's full path as the service builds it.
DEV_TARGET = 0.62


def configured(encoder: Encoder) -> OfflineJudge:
    """The offline judge with the claim verifier scoring (INTERVIEWER_JUDGE_VERIFY=true): the
    stricter of the two configurations on these one- and two-criterion rubrics."""
    judge = build_offline_judge(Settings(_env_file=None, judge_verify=True), encoder)  # type: ignore[call-arg]
    assert isinstance(judge, OfflineJudge) and judge.verify_scores
    return judge



DEV_SHA256 = "185ea27c9e14ad7a3946584fa2aa58bfdf74f07a28d7d1c72ee82c5f498a4edb"


def test_vendored_dev_file_is_the_documented_one() -> None:
    """datasets/asag/README.md names this file's provenance; the calibration records the same hash."""
    import hashlib

    assert hashlib.sha256(DEV.read_bytes()).hexdigest() == DEV_SHA256


def subset(tmp_path: Path, step: int = 7) -> Path:
    with DEV.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    out = tmp_path / "subset.csv"
    with out.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([rows[0], *rows[1::step]])
    return out


def test_agreement_with_humans_on_a_subset(tmp_path: Path, encoder: Encoder) -> None:
    path = subset(tmp_path)
    report = evaluate_asag(path, configured(encoder), encoder)
    assert report.overall.n == len(load_asag(path)) >= 150
    assert report.overall.pearson >= PEARSON_FLOOR
    assert report.overall.rmse <= RMSE_CEILING
    assert all(0.0 <= p <= 5.0 for p in report.predictions)


def test_the_whole_dev_file_reaches_the_target(encoder: Encoder) -> None:
    report = evaluate_asag(DEV, configured(encoder), encoder)
    assert report.overall.n == 1074
    assert report.overall.pearson >= DEV_TARGET, report.overall


def test_metrics_are_exact_on_known_values() -> None:
    m = metrics([1.0, 2.0, 3.0], [2.0, 4.0, 6.0])
    assert m.pearson == pytest.approx(1.0) and m.spearman == pytest.approx(1.0)
    assert m.rmse == pytest.approx((14 / 3) ** 0.5)
    assert metrics([1.0, 1.0], [1.0, 2.0]).pearson == 0.0
