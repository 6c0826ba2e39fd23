"""Accuracy drift: a published investor day recomputed from the landing zone some days later.

Landing data can change after a day was published (a corrected export, a re-delivered snapshot, an
FX correction). Every run of an investor aggregate for day D therefore recomputes day
D - RECOMPUTE_AFTER_DAYS from the landing files as they are now, with the current definitions, in
memory (nothing is written), and compares it with the row investors saw:

- a ratio in percent or points (profit margin, MRR growth) drifts by its absolute difference in
  percentage points;
- an amount or count drifts by |recomputed - published| / max(|published|, 1) in percent (the floor
  of 1 keeps an amount near zero from turning cents into a huge relative drift).

More than `accuracy_drift_pp` (default 0.5, read as points for ratios and as percent for amounts) on
any column is an ERROR on partition D - 3 (the day whose published numbers are no longer true). It
never blocks D's run: D is fine, and D - 3 is already out; the alert asks for an approved
re-publish. Clean data recomputes bit for bit, so the check has no false alarms of its own. A day
that a run rebuilds itself, or that was never published, is not evaluated (see audit.py).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from pipeline_ops.quality.audit import AuditContext
from pipeline_ops.quality.outcome import CheckDef, Outcome, passed

RECOMPUTE_AFTER_DAYS = 3
SECTION = "accuracy-drift"


def drift(published: Mapping[str, Any], recomputed: Mapping[str, Any], amounts: Sequence[str],
          points: Mapping[str, float]) -> dict[str, float]:
    """Drift per column: percent for `amounts`, percentage points for `points` (column -> factor to
    points: 100 for a fraction such as profit_margin, 1 for a column already in percent). A value
    that is null on one side only drifts infinitely; null on both sides does not drift."""
    out: dict[str, float] = {}
    for col in (*amounts, *points):
        old, new = _number(published.get(col)), _number(recomputed.get(col))
        if old is None or new is None:
            out[col] = 0.0 if old is None and new is None else math.inf
        elif col in points:
            out[col] = abs(new - old) * points[col]
        else:
            out[col] = 100.0 * abs(new - old) / max(abs(old), 1.0)
    return out


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return float(value)


def judge(day: str, published: Mapping[str, Any] | None, recomputed: Mapping[str, Any] | None,
          amounts: Sequence[str], points: Mapping[str, float], tolerance: float,
          how: str = "after recomputing from landing") -> Outcome:
    """The check's outcome for one day from its published and recomputed rows (plain values)."""
    bound = {"max_drift": tolerance, "unit": "percentage points for ratios, percent for amounts"}
    if published is None or recomputed is None:
        missing = "published row" if published is None else "recomputed row"
        return Outcome("error", f"{day}: no single {missing} to compare (the grain is one row per day)", bound=bound,
                       failing_count=1)
    found = drift(published, recomputed, amounts, points)
    over = {c: d for c, d in found.items() if d > tolerance}
    observed = {"drift": {c: round(d, 6) if math.isfinite(d) else "inf" for c, d in found.items()},
                "definition_version": {"published": published.get("definition_version"),
                                       "recomputed": recomputed.get("definition_version")}}
    if not over:
        worst = max(found.values(), default=0.0)
        return passed(f"{day} recomputed from landing agrees with what was published (largest drift {worst:.4f})",
                      observed=observed, bound=bound)
    sample = [{"column": c, "published": published.get(c), "recomputed": recomputed.get(c),
               "drift": observed["drift"][c]} for c in sorted(over)]
    changed = ("; the definition changed since" if published.get("definition_version")
               != recomputed.get("definition_version") else "; same definition: the landing data changed")
    return Outcome("error", f"{day} as published is no longer true: {', '.join(sorted(over))} drift beyond "
                   f"{tolerance} {how}{changed}", observed, bound,
                   failing_count=len(over), sample=sample)


Recompute = Callable[[AuditContext, dt.date], pd.DataFrame]


def accuracy_drift(asset: str, recompute: Recompute, amounts: Sequence[str], points: Mapping[str, float]) -> CheckDef:
    """The accuracy_drift check of a one-row-per-day investor aggregate.

    `recompute(ctx, day)` returns the aggregate's frame for `day` rebuilt from landing (the landing
    zone is `ctx.extra["landing"]`), conformed to the published schema.
    """

    def evaluate(ctx: AuditContext, partition: str) -> Outcome:
        day = dt.date.fromisoformat(partition)
        published = ctx.lake.read(asset, [partition])
        recomputed = recompute(ctx, day)
        return judge(partition, only_row(published), only_row(recomputed), amounts, points,
                     ctx.thresholds.accuracy_drift_pp)

    return CheckDef(
        "accuracy_drift", asset, "accuracy",
        f"The day published {RECOMPUTE_AFTER_DAYS} days ago, recomputed from the landing files as they are now, "
        "agrees with what investors saw: ratios within accuracy_drift_pp percentage points, amounts and counts "
        "within accuracy_drift_pp percent. ERROR on that earlier day; never blocks the current run.",
        SECTION, evaluate, failure_modes=(SECTION,), lag_days=RECOMPUTE_AFTER_DAYS,  # lagged: never blocks
    )


def only_row(frame: pd.DataFrame) -> dict[str, Any] | None:
    return frame.iloc[0].to_dict() if len(frame) == 1 else None


def settled_day_unchanged(asset: str, amounts: Sequence[str], points: Mapping[str, float]) -> CheckDef:
    """A re-run must not change a day that had settled when it was published.

    A day settles `processing.lateness_hours` after its UTC end: no later event counts for it, so a
    version published after that is final. When a run re-publishes such a day, the staged row is
    compared with the published one as above; a version published before the day settled may still
    change (late events re-attach) and is not judged. ERROR, never blocking: the numbers are out.
    """

    def evaluate(ctx: AuditContext, partition: str) -> Outcome:
        from pipeline_ops.lake.ops_log import read_ops_records

        day = dt.date.fromisoformat(partition)
        settles = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.timezone.utc) + dt.timedelta(
            hours=ctx.cfg.processing.lateness_hours)
        bound = {"settles_at": settles.isoformat()}
        if not ctx.lake.has_partition(asset, partition):
            return passed(f"{partition} is published for the first time: nothing to compare", bound=bound)
        ops = read_ops_records(ctx.lake, asset)
        built = ops.loc[ops["partition"] == partition, "ended_at"]
        last = pd.to_datetime(built, utc=True).max().to_pydatetime() if len(built) else None
        if last is None or last < settles:
            return passed(f"{partition} was last published at {last} (before it settled at {settles:%Y-%m-%d %H:%M} "
                          "UTC): late events may still change it", observed={"published_at": str(last)}, bound=bound)
        staged = ctx.sql("SELECT * FROM {t}", partition).df()
        return judge(partition, only_row(ctx.lake.read(asset, [partition])), only_row(staged), amounts, points,
                     ctx.thresholds.accuracy_drift_pp, how=f"on re-run, though it had settled when published at {last}")

    return CheckDef(
        "settled_day_unchanged", asset, "accuracy",
        "Re-publishing a day that had settled (processing.lateness_hours after its end) when it was last published "
        "leaves it unchanged: ratios within accuracy_drift_pp percentage points, counts within accuracy_drift_pp "
        "percent. ERROR (an approved re-publish still alerts, so investors can be told); never blocks.",
        SECTION, evaluate, failure_modes=(SECTION,), blocks=False,
    )
