"""Run an asset's registered checks on hand-made staged partitions, as the audit does, without Dagster runs.

    evals = audit_days(tmp_path, "stg_account_daily", staged={D1: rows}, published={"stg_account_daily": {D0: rows}},
                       landing=zone)
    e = evals["accounts_complete", D1]       # the dagster AssetCheckEvaluation the asset would record
    e.passed, e.severity, e.partition, e.metadata["observed"].value

`staged` partitions are written as the asset's staging write (Parquet, no partition column) and
audited in date order in one AuditContext (a single-run backfill); `published` partitions are
committed to the lake first (what earlier runs published). Rows are dicts; columns the test does
not care about get the defaults below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import dagster as dg
import pandas as pd

from pipeline_ops.config import current_config
from pipeline_ops.growth.schemas import ACCOUNT_DAILY, SUBSCRIPTION_EVENTS_USD
from pipeline_ops.lake.publish import split_by_partition
from pipeline_ops.lake.storage import Lake
from pipeline_ops.landing.reader import LandingZone
from pipeline_ops.metrics.growth import AGGREGATE_SCHEMA, DAILY_SCHEMA
from pipeline_ops.quality.audit import AuditContext, audit
from pipeline_ops.quality.dagster_checks import evaluation
from pipeline_ops.quality.registry import quality_of
from pipeline_ops.quality.wap import staged_files
from pipeline_ops.staging.schemas import EXPERIMENT_ASSIGNMENTS

SCHEMAS = {s.asset: s for s in (ACCOUNT_DAILY, SUBSCRIPTION_EVENTS_USD, DAILY_SCHEMA, AGGREGATE_SCHEMA, EXPERIMENT_ASSIGNMENTS)}
DEFAULTS = {
    "stg_account_daily": {"plan": "growth", "region": "NA", "currency": "USD", "status": "active", "licences": 5,
                          "mrr": 100.0, "mrr_usd": 100.0, "is_active": True, "experiment_id": None, "variant": None,
                          "exclude_from_investor": False, "definition_version": "growth/1.0"},
    "stg_subscription_events_usd": {"event_ts": None, "licences_before": 5, "licences_after": 6, "licence_delta": 1,
                                    "currency": "USD", "mrr_before_usd": 100.0, "mrr_after_usd": 120.0,
                                    "mrr_delta_usd": 20.0, "experiment_id": None, "variant": None,
                                    "exclude_from_investor": False, "definition_version": "growth/1.0"},
    "growth_daily": {"new_accounts": 0, "churned_accounts": 0, "net_new_accounts": 0, "net_licence_adds": 0,
                     "new_mrr_usd": 0.0, "expansion_mrr_usd": 0.0, "contraction_mrr_usd": 0.0, "churned_mrr_usd": 0.0,
                     "net_new_mrr_usd": 0.0, "active_accounts": 0, "licences": 0, "mrr_usd": 0.0,
                     "definition_version": "growth/1.0"},
    "growth_aggregate": {"new_accounts": 0, "churned_accounts": 0, "net_new_accounts": 0, "net_licence_adds": 0,
                         "active_accounts": 0, "licences": 0, "mrr_usd": 0.0, "net_new_mrr_usd": 0.0,
                         "mrr_growth_pct": 0.0, "definition_version": "growth/1.0"},
    "stg_experiment_assignments": {"unit_type": "account", "variant": "control", "assigned_at": "2025-02-01T09:00:00Z",
                                   "exclude_from_investor": False, "in_snapshot": True,
                                   "definition_version": "staging/1.0"},
}


def frame(asset: str, rows: Sequence[Mapping], day: str) -> pd.DataFrame:
    """The rows of one day as the asset's conformed output (defaults filled in, partition column kept)."""
    schema = SCHEMAS[asset]
    full = [{**DEFAULTS[asset], "date": day, **r} for r in rows]
    if asset == "stg_subscription_events_usd":
        full = [{**r, "event_ts": r["event_ts"] or f"{day}T12:00:00Z"} for r in full]
    out = pd.DataFrame(full, columns=schema.names)
    return schema.conform(out)


def publish(lake: Lake, asset: str, days: Mapping[str, Sequence[Mapping]]) -> None:
    """Commit `days` of `asset` to the lake, as an earlier run would have."""
    data = pd.concat([frame(asset, rows, day) for day, rows in days.items()], ignore_index=True)
    lake.commit(lake.stage_frames(asset, split_by_partition(data, sorted(days))))


def audit_days(
    tmp_path: Path, asset: str, staged: Mapping[str, Sequence[Mapping]],
    published: Mapping[str, Mapping[str, Sequence[Mapping]]] | None = None, landing=None,
) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    """Evaluate every staged-phase check of `asset` on `staged` (one audit, days in order): {(check, day): evaluation}."""
    lake = Lake(str(tmp_path / "lake"))
    for table, days in (published or {}).items():
        publish(lake, table, days)
    data = pd.concat([frame(asset, rows, day) for day, rows in staged.items()], ignore_index=True)
    write = lake.stage_frames(asset, split_by_partition(data, sorted(staged)))
    aq = quality_of(asset)
    extra = {"landing": LandingZone(landing.url)} if landing is not None else {}
    ctx = AuditContext(lake, asset, aq.pipeline, staged_files(lake, write), current_config(), extra)
    results = audit(ctx, aq.checks, aq.profile)
    lake.abort(write)
    return {(r.check.name, r.partition): evaluation(r, aq.pipeline) for r in results}


def meta(e: dg.AssetCheckEvaluation, key: str):
    """A metadata value of an evaluation, unwrapped (JSON and text values give their content)."""
    value = e.metadata[key]
    return getattr(value, "value", getattr(value, "data", getattr(value, "text", value)))


def failed(evals: Mapping[tuple[str, str], dg.AssetCheckEvaluation]) -> dict[tuple[str, str], str]:
    """The evaluations that did not pass: {(check, day): 'SEVERITY: summary'}."""
    return {k: f"{e.severity.value}: {e.description}" for k, e in evals.items() if not e.passed}
