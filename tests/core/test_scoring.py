from interviewer.core import scoring
from interviewer.core.models import CriterionResult, Verdict


def r(v: Verdict, w: float, credit: float | None = None, recovered: bool = False) -> CriterionResult:
    return CriterionResult("c", "C", v, w, credit=credit, recovered=recovered)


def test_weighted_verdicts() -> None:
    assert scoring.score([r(Verdict.MET, 0.5), r(Verdict.PARTIAL, 0.3), r(Verdict.MISSED, 0.2)]) == 65
    assert scoring.score([r(Verdict.CONTRADICTED, 1.0)]) == 0
    assert scoring.score([]) == 0


def test_credit_is_clamped_to_the_verdict_band() -> None:
    assert scoring.score([r(Verdict.MISSED, 1.0, credit=0.9)]) == 20
    assert scoring.score([r(Verdict.MET, 1.0, credit=0.1)]) == 80
    assert scoring.score([r(Verdict.PARTIAL, 1.0, credit=0.6)]) == 60


def test_recovery_earns_a_share_of_missing_points() -> None:
    assert scoring.score([r(Verdict.MISSED, 1.0, recovered=True)]) == round(100 * scoring.RECOVERY_SHARE)
    assert scoring.score([r(Verdict.PARTIAL, 1.0, recovered=True)]) == 75
