"""Investor numbers are replaced only with an approval: the rule with plain values, then in real runs.

The runs use the hand-made growth scenario on one Dagster instance: a first build of growth_aggregate
needs no approval; building the published day again without one is refused before any step runs
(nothing is recomputed, the run is tagged, the alert sensor stays quiet); with the tags it runs.
"""

from __future__ import annotations

import dagster as dg
import pytest

from pipeline_ops import growth, staging
from pipeline_ops.alerting.observe import Cursor, run_failure_signals
from pipeline_ops.backfills.approval import APPROVAL_REASON, APPROVED_BY, JUDGED, REFUSED, approval_tags, judge
from pipeline_ops.resources.lake import LakeResource, LandingResource
from pipeline_ops_tests.fixtures.profit_growth_scenario import D0, D1, build_landing

OWNERS = {"growth_aggregate": ["eng_c", "eng_d"]}  # its primary and secondary owner in default.yaml


@pytest.mark.parametrize(("tags", "published", "allowed", "says"), [
    ({}, {"growth_aggregate": []}, True, "first build"),
    ({}, {"growth_aggregate": ["2025-03-02"]}, False,
     "would replace published investor numbers (growth_aggregate 2025-03-02 (1 partition(s)))"),
    ({"dagster/backfill": "abc"}, {"growth_aggregate": ["2025-03-01", "2025-03-02"]}, False,
     "an owner (eng_c or eng_d) launches it again with an approval: `pipeline-ops backfill growth_aggregate "
     "--from 2025-03-01 --to 2025-03-02 --approved-by <member id> --reason \"<why>\"`"),
    ({"dagster/schedule_name": "growth_aggregate_schedule"}, {"growth_aggregate": ["2025-03-02"]}, True,
     "launched by growth_aggregate_schedule"),
    ({"dagster/schedule_name": "x", "dagster/backfill": "abc"}, {"growth_aggregate": ["2025-03-02"]}, False, "refused"),
    ({APPROVED_BY: "eng_d", APPROVAL_REASON: "restated accounts"}, {"growth_aggregate": ["2025-03-02"]}, True,
     "approved by eng_d: restated accounts"),
    ({APPROVED_BY: "eng_a", APPROVAL_REASON: "x"}, {"growth_aggregate": ["2025-03-02"]}, False,
     "'eng_a' does not own every investor output of the run (growth_aggregate; expected eng_c or eng_d)"),
    ({APPROVED_BY: "eng_c", APPROVAL_REASON: "  "}, {"growth_aggregate": []}, False, f"tag {APPROVAL_REASON} is missing or empty"),
])
def test_the_rule(tags, published, allowed, says):
    verdict = judge(tags, published, OWNERS)
    assert verdict.allowed is allowed and says in verdict.why


def test_a_run_over_two_investor_outputs_needs_an_owner_of_both():
    owners = {"profit_aggregate": ["eng_a", "eng_b"], "engagement_aggregate": ["eng_b", "eng_a"],
              "investor_monthly_report": ["eng_a", "eng_c"]}
    tags = {APPROVED_BY: "eng_b", APPROVAL_REASON: "FX restated"}
    assert not judge(tags, {"profit_aggregate": ["2025-03-02"]}, owners).allowed
    assert judge({**tags, APPROVED_BY: "eng_a"}, {"profit_aggregate": ["2025-03-02"]}, owners).allowed


def _run(zone, lake, instance, tags=None):
    return dg.materialize([*staging.ASSETS, *growth.ASSETS], partition_key=D1, instance=instance, tags=tags,
                          resources={"landing": LandingResource(url=zone.url), "lake": LakeResource(url=lake)},
                          raise_on_error=False)


def _init_errors(result) -> str:
    """The resource-initialization errors of a run, causes included (the user's error is a cause)."""
    texts = []
    for event in result.all_events:
        if event.event_type_value == "RESOURCE_INIT_FAILURE":
            error = event.event_specific_data.error
            while error is not None:
                texts.append(error.message)
                error = error.cause
    return "\n".join(texts)


def _built(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def test_replacing_a_published_day_needs_the_approval_tags(tmp_path):
    zone, lake = build_landing(tmp_path / "landing"), str(tmp_path / "lake")
    instance = dg.DagsterInstance.ephemeral()
    assert dg.materialize([*staging.ASSETS, *growth.ASSETS], partition_key=D0, instance=instance,
                          resources={"landing": LandingResource(url=zone.url), "lake": LakeResource(url=lake)}).success
    first = _run(zone, lake, instance)
    assert first.success and "growth_aggregate" in _built(first)  # a first build: nothing to replace
    # judged once: a later resource init of the same run (another step's process, `dagster job execute`
    # reloading outputs) must not refuse the run for what it has just published itself
    assert instance.get_run_by_id(first.run_id).tags[JUDGED] == first.run_id
    published = sorted((tmp_path / "lake" / "growth_aggregate").rglob("*.parquet"))
    before = {p: p.stat().st_mtime_ns for p in published}

    refused = _run(zone, lake, instance)
    assert not refused.success and _built(refused) == set()  # refused before any step, staging included
    why = _init_errors(refused)
    assert "would replace published investor numbers (growth_aggregate 2025-03-02 (1 partition(s)))" in why
    assert "`pipeline-ops backfill growth_aggregate --from 2025-03-02 --to 2025-03-02 --approved-by" in why
    assert "the run tags pipeline_ops/approved_by=<member id> and pipeline_ops/approval_reason=<why>" in why
    run = instance.get_run_by_id(refused.run_id)
    assert run.tags[REFUSED] == "needs approval"
    assert {p: p.stat().st_mtime_ns for p in published} == before  # the published day is untouched
    assert run_failure_signals(instance, Cursor.load(None)) == []  # no page for a refused run

    approved = _run(zone, lake, instance, approval_tags("eng_c", "accounts restated upstream"))
    assert approved.success and "growth_aggregate" in _built(approved)
