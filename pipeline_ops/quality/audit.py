"""Run an asset's checks on its staged partitions, before anything is published.

`audit(...)` gets the staged Parquet of every partition of the run, computes each partition's
profile in one DuckDB pass, then evaluates every check partition by partition in date order, so
in a backfill day D's baseline already contains the run's earlier days (and leaves out those
flagged). A check with `lag_days` is evaluated for the published partition that many days
before each audited one, unless the run rebuilds it. A check that raises does not pass silently: its outcome is an ERROR naming the
exception, so a broken check is as visible as a broken partition.
"""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import duckdb

from pipeline_ops.config.models import PipelineOpsConfig
from pipeline_ops.config.quality import Thresholds
from pipeline_ops.lake.storage import Lake, partition_column
from pipeline_ops.quality.baseline import Baseline, Gates, same_weekday_baseline
from pipeline_ops.quality.outcome import CheckDef, Outcome
from pipeline_ops.quality.profile import Profile, read_profile


@dataclass(frozen=True)
class CheckResult:
    check: CheckDef
    partition: str
    outcome: Outcome


class AuditContext:
    """Everything a check may read about the partitions under audit, and nothing it may write.

    - `sql(query, partition)`: DuckDB over the staged partition, the table written `{t}`.
    - `lake_sql(query)`: DuckDB over the *published* lake (one view per asset).
    - `metric(name, partition)` and `baseline(name, partition)`: the profile and its history.
    - `extra`: inputs the asset hands over (e.g. its per-day counts, the landing files it read).
    """

    def __init__(
        self, lake: Lake, asset: str, pipeline: str, staged: Mapping[str, Sequence[str]],
        cfg: PipelineOpsConfig, extra: Mapping[str, Any] | None = None,
    ):
        self.lake, self.asset, self.pipeline, self.cfg = lake, asset, pipeline, cfg
        self.staged = {p: list(files) for p, files in staged.items()}
        self.extra = dict(extra or {})
        self.profiles: dict[str, Profile] = {}
        self._history: dict[str, Profile | None] = {}
        self.con = duckdb.connect()

    @property
    def partitions(self) -> list[str]:
        return sorted(self.staged)

    @cached_property
    def thresholds(self) -> Thresholds:
        return self.cfg.quality.thresholds(self.pipeline)

    @property
    def gates(self) -> Gates:
        t = self.thresholds
        return Gates(t.warn_z, t.warn_pct, t.error_z, t.error_pct)

    # -- the staged data ---------------------------------------------------------------------
    def table(self, partition: str) -> str:
        """A DuckDB table expression for the staged partition (no partition column)."""
        files = ", ".join(f"'{f}'" for f in self.staged[partition])
        return f"read_parquet([{files}], union_by_name = true)"

    def sql(self, query: str, partition: str) -> duckdb.DuckDBPyRelation:
        return self.con.sql(query.replace("{t}", self.table(partition)))

    def rows(self, query: str, partition: str) -> list[dict[str, Any]]:
        rel = self.sql(query, partition)
        return [dict(zip(rel.columns, r)) for r in rel.fetchall()]

    @cached_property
    def published(self) -> duckdb.DuckDBPyConnection:
        from pipeline_ops.lake.duckdb_views import connect

        return connect(self.lake)

    def lake_has(self, table: str) -> bool:
        """True when the published lake has a view `table` (at least one partition written)."""
        return bool(self.published.execute(
            "SELECT 1 FROM duckdb_views() WHERE view_name = ?", [table]).fetchall())

    def lake_rows(self, query: str) -> list[dict[str, Any]]:
        rel = self.published.sql(query)
        return [dict(zip(rel.columns, r)) for r in rel.fetchall()]

    # -- profiles and baselines --------------------------------------------------------------
    def profile_of(self, partition: str, asset: str | None = None) -> Profile | None:
        """The run's own profile for its partitions, else the stored one (None if never audited)."""
        asset = asset or self.asset
        if asset == self.asset and partition in self.profiles:
            return self.profiles[partition]
        key = f"{asset}|{partition}"
        if key not in self._history:
            self._history[key] = read_profile(self.lake, asset, partition)
        return self._history[key]

    def metric(self, name: str, partition: str) -> float:
        return self.profiles[partition].metrics[name]

    def previous_partition(self, partition: str, days: int = 1) -> str:
        if partition_column(partition) == "month":
            year, month = map(int, partition.split("-"))
            month -= days
            while month < 1:
                month, year = month + 12, year - 1
            return f"{year:04d}-{month:02d}"
        return (dt.date.fromisoformat(partition) - dt.timedelta(days=days)).isoformat()

    def baseline(self, name: str, partition: str) -> Baseline:
        """Same-weekday median/MAD of `name` before `partition`, flagged days left out."""
        day = dt.date.fromisoformat(partition)
        t = self.thresholds
        history, flagged = {}, set()
        for k in range(1, t.baseline_weeks + 1):
            d = day - dt.timedelta(days=7 * k)
            prof = self.profile_of(d.isoformat())
            if prof is not None and name in prof.metrics:
                history[d] = prof.metrics[name]
                if name in prof.flagged:
                    flagged.add(d)
        return same_weekday_baseline(history, day, t.baseline_weeks, t.baseline_min_points, frozenset(flagged))


def audit(ctx: AuditContext, checks: Sequence[CheckDef], profiler) -> list[CheckResult]:
    """Profile every partition, then run every check on every partition in date order."""
    for p in ctx.partitions:
        ctx.profiles[p] = profiler(ctx, p)
    results = []
    checks = [c for c in checks if c.phase == "staged"]
    for p in ctx.partitions:
        for check in checks:
            target = ctx.previous_partition(p, check.lag_days) if check.lag_days else p
            if check.lag_days and (target in ctx.staged or not ctx.lake.has_partition(check.asset, target)):
                continue  # rebuilt by this very run, or never published: nothing to recompute against
            try:
                outcome = check.evaluate(ctx, target)
            except Exception as exc:  # a broken check must be seen, never read as a pass
                outcome = Outcome("error", f"check {check.name} could not run: {type(exc).__name__}: {exc}",
                                  observed={"traceback": traceback.format_exc(limit=3)[-1500:]})
            if not check.lag_days:
                ctx.profiles[p].flagged.update(outcome.flag_metrics)
            results.append(CheckResult(check, target, outcome))
    return results
