"""Accuracy drift: the comparison rule, the lag semantics of the audit, and the two recomputations
on the hand-built scenario (fixtures/profit_growth_scenario.py), clean and with a re-delivered day.

The real-run path (a daily run of D flags D - 3 in the Checks tab) is in the fault matrix
(revenue_restated, accounts_restated).
"""

from __future__ import annotations

import math
import shutil

import pandas as pd
import pytest

from pipeline_ops.config import current_config
from pipeline_ops.lake.storage import Lake
from pipeline_ops.quality.accuracy import drift, judge
from pipeline_ops.quality.audit import AuditContext, audit
from pipeline_ops.quality.outcome import CheckDef, Outcome, passed, verdict
from pipeline_ops.quality.profile import Profile
from pipeline_ops_tests.fixtures.landing_builder import LandingBuilder
from pipeline_ops_tests.fixtures.profit_growth_scenario import (
    D0, D2, REVENUE, accounts, all_assets, build_landing, materialize, step_errors,
)

AMOUNTS, POINTS = ("revenue_usd", "licences"), {"profit_margin": 100.0}


def test_drift_is_percent_for_amounts_and_points_for_ratios():
    published = {"revenue_usd": 1000.0, "licences": 200, "profit_margin": 0.250}
    recomputed = {"revenue_usd": 1004.0, "licences": 202, "profit_margin": 0.256}
    got = drift(published, recomputed, AMOUNTS, POINTS)
    # 4 / 1000 = 0.4 %; 2 / 200 = 1 %; (0.256 - 0.250) x 100 = 0.6 points
    assert got == pytest.approx({"revenue_usd": 0.4, "licences": 1.0, "profit_margin": 0.6})


def test_amounts_near_zero_use_a_floor_of_one_and_nulls_drift_only_when_one_sided():
    got = drift({"revenue_usd": 0.001, "licences": 0, "profit_margin": None},
                {"revenue_usd": 0.002, "licences": 0, "profit_margin": None}, AMOUNTS, POINTS)
    assert got == pytest.approx({"revenue_usd": 0.1, "licences": 0.0, "profit_margin": 0.0})  # 0.001 / max(0.001, 1)
    got = drift({"revenue_usd": 0.0, "licences": 1, "profit_margin": None},
                {"revenue_usd": 0.0, "licences": 1, "profit_margin": float("nan")}, AMOUNTS, POINTS)
    assert got["profit_margin"] == 0.0
    got = drift({"revenue_usd": 10.0, "licences": 1, "profit_margin": None},
                {"revenue_usd": 10.0, "licences": 1, "profit_margin": 0.1}, AMOUNTS, POINTS)
    assert math.isinf(got["profit_margin"])


def test_judge_fails_beyond_the_tolerance_naming_the_columns_and_the_cause():
    row = {"revenue_usd": 1000.0, "licences": 200, "profit_margin": 0.25, "definition_version": "profit/2.0"}
    ok = judge("2025-03-01", row, dict(row, revenue_usd=1004.9), AMOUNTS, POINTS, 0.5)
    assert ok.level == "pass"
    bad = judge("2025-03-01", row, dict(row, revenue_usd=1006.0, profit_margin=0.2449), AMOUNTS, POINTS, 0.5)
    assert bad.level == "error" and bad.failing_count == 2
    assert [s["column"] for s in bad.sample] == ["profit_margin", "revenue_usd"]
    assert "same definition: the landing data changed" in bad.summary
    moved = judge("2025-03-01", row, dict(row, licences=100, definition_version="profit/3.0"), AMOUNTS, POINTS, 0.5)
    assert "the definition changed since" in moved.summary
    assert judge("2025-03-01", None, row, AMOUNTS, POINTS, 0.5).level == "error"


def _lagged(seen: list[str]) -> CheckDef:
    def evaluate(ctx, partition: str) -> Outcome:
        seen.append(partition)
        return Outcome("error", f"{partition} drifted")
    return CheckDef("lagged", "profit_aggregate", "accuracy", "test", "accuracy-drift", evaluate, lag_days=3)


def test_a_lagged_check_judges_the_published_day_before_and_never_blocks(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    frame = pd.DataFrame({"x": [1]})
    lake.commit(lake.stage_frames("profit_aggregate", {"2025-03-01": frame}))  # published; 2025-03-02 is not
    staged = {p: [] for p in ("2025-03-04", "2025-03-05", "2025-03-06", "2025-03-07")}
    ctx = AuditContext(lake, "profit_aggregate", "profit_aggregate", staged, current_config())
    seen: list[str] = []
    other = CheckDef("same_day", "profit_aggregate", "contract", "test", "schema-drift", lambda c, p: passed("ok"))
    results = audit(ctx, [_lagged(seen), other], lambda c, p: Profile())
    # 03-04 -> 03-01 (published): judged; 03-05 -> 03-02: never published; 03-07 -> 03-04: rebuilt by this run
    assert seen == ["2025-03-01"]
    lagged = [r for r in results if r.check.name == "lagged"]
    assert [r.partition for r in lagged] == ["2025-03-01"]
    v = verdict(lagged[0].check, lagged[0].outcome)
    assert (v.passed, v.severity, v.blocks) == (False, "ERROR", False)
    assert sorted(r.partition for r in results if r.check.name == "same_day") == sorted(staged)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("accuracy")
    zone = build_landing(root / "landing")
    result = materialize(all_assets(), zone.url, str(root / "lake"), start=D0, end=D2, raise_on_error=False)
    assert result.success, step_errors(result)
    return root


def _evaluate(check: CheckDef, root, landing_root) -> Outcome:
    from pipeline_ops.landing.reader import LandingZone

    ctx = AuditContext(Lake(str(root / "lake")), check.asset, check.asset, {}, current_config(),
                       {"landing": LandingZone(str(landing_root))})
    return check.evaluate(ctx, D0)


def _redelivered(published, tmp_path) -> LandingBuilder:
    landing = tmp_path / "landing"
    shutil.copytree(published / "landing", landing)
    return LandingBuilder(landing)


def test_profit_recomputation_agrees_on_clean_data_and_sees_a_corrected_revenue_export(published, tmp_path):
    from pipeline_ops.profit.accuracy import PROFIT_ACCURACY_DRIFT

    clean = _evaluate(PROFIT_ACCURACY_DRIFT, published, published / "landing")
    assert clean.level == "pass", clean.summary
    assert set(clean.observed["drift"].values()) == {0.0}
    zone = _redelivered(published, tmp_path)
    zone.write("revenue", D0, [dict(REVENUE[D0][0], amount=330)])  # inv_0 re-exported: 300 -> 330 USD
    bad = _evaluate(PROFIT_ACCURACY_DRIFT, published, zone.root)
    # billed 300 -> 330 and recognised 300/31 -> 330/31: both +10 %; the margin moves with them
    assert bad.level == "error"
    assert {s["column"] for s in bad.sample} == {"billed_revenue_usd", "revenue_usd", "profit_margin"}
    assert bad.observed["drift"]["billed_revenue_usd"] == pytest.approx(10.0)
    assert bad.observed["drift"]["revenue_usd"] == pytest.approx(10.0)


def test_growth_recomputation_sees_a_redelivered_snapshot(published, tmp_path):
    from pipeline_ops.growth.accuracy import GROWTH_ACCURACY_DRIFT

    assert _evaluate(GROWTH_ACCURACY_DRIFT, published, published / "landing").level == "pass"
    zone = _redelivered(published, tmp_path)
    rows = accounts(D0)
    rows[0] = dict(rows[0], licences=20, mrr=600)  # acc_1 re-delivered at twice its seats and MRR
    zone.write("accounts", D0, rows)
    bad = _evaluate(GROWTH_ACCURACY_DRIFT, published, zone.root)
    # investor licences 10 + 5 = 15 -> 25 (+66.7 %); MRR 300 + 100 EUR x 1.05 = 405 -> 705 (+74.1 %)
    assert bad.level == "error" and {s["column"] for s in bad.sample} == {"licences", "mrr_usd"}
    assert bad.observed["drift"]["licences"] == pytest.approx(100 * 10 / 15)
    assert bad.observed["drift"]["mrr_usd"] == pytest.approx(100 * 300 / 405)


@pytest.mark.parametrize("published_at, staged_dau, level", [
    ("2025-03-04T01:00:00+00:00", 1000, "pass"),   # settled (03-01 + 1 day + 48 h = 03-04 00:00), unchanged
    ("2025-03-04T01:00:00+00:00", 1004, "pass"),   # 0.4 %: within 0.5
    ("2025-03-04T01:00:00+00:00", 1010, "error"),  # 1 %: a settled day restated
    ("2025-03-03T23:00:00+00:00", 1010, "pass"),   # published before it settled: late events may move it
])
def test_a_settled_day_must_not_change_on_re_run(tmp_path, published_at, staged_dau, level):
    import datetime as dt

    from pipeline_ops.lake.ops_log import OpsRecord, append_ops_records
    from pipeline_ops.quality.accuracy import settled_day_unchanged

    lake, day = Lake(str(tmp_path / "lake")), "2025-03-01"
    row = {"dau": 1000, "d7_retention": 0.40, "definition_version": "engagement/1.0"}
    lake.commit(lake.stage_frames("engagement_aggregate", {day: pd.DataFrame([row])}))
    at = dt.datetime.fromisoformat(published_at)
    append_ops_records(lake, [OpsRecord("engagement_aggregate", day, "r1", at, at, 1, "x", "sha256", "v", "p")])
    staged = tmp_path / "staged.parquet"
    pd.DataFrame([dict(row, dau=staged_dau)]).to_parquet(staged)
    ctx = AuditContext(lake, "engagement_aggregate", "engagement_aggregate", {day: [str(staged)]}, current_config())
    check = settled_day_unchanged("engagement_aggregate", amounts=("dau",), points={"d7_retention": 100.0})
    outcome = check.evaluate(ctx, day)
    assert outcome.level == level, outcome.summary
    assert not check.can_block
    if level == "error":
        assert outcome.sample == [{"column": "dau", "published": 1000, "recomputed": 1010, "drift": 1.0}]
