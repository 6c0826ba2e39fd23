"""Is an output on time? PASS, WARN or FAIL for the partition a pipeline owes at its SLA deadline.

Business rule (plan 002: "Freshness <= 15 min (investor daily)"; investor SLOs page on breach).
At each deadline (`sla.deadline` in `sla.timezone`; monthly: on `sla.day_of_month`) a pipeline owes
one output partition, the last complete one at that instant (yesterday in UTC, or last month):
- PASS: first materialized by the deadline;
- WARN: materialized, or still missing, up to `sla.freshness_tolerance_minutes` after it (late, or
  at risk, but inside the SLO);
- FAIL: materialized later than deadline + tolerance, or still missing then (SLO breached).
The partition's *first* materialization counts: a later re-build (the engagement settle run, a
backfill) never makes an on-time day late.

Why this is computed here and not read from Dagster (dagster 1.13, `freshness_evaluator.py`):
`dg.FreshnessPolicy.cron` has only PASS and FAIL (UNKNOWN before any materialization); WARN exists
only for `FreshnessPolicy.time_window`, which has no deadline. The daemon evaluates the asset as a
whole: PASS when *any* materialization (any partition: a backfill of last year counts) happened
after the last deadline tick minus `lower_bound_delta`, so it cannot tell that yesterday's partition
is 10 minutes late, and it goes back to PASS whenever the asset is built again. So each output's
Dagster cron policy has its deadline at deadline + tolerance (the UI turns FAIL when the SLO is
breached; scheduling.fail_cron) and the alert sensor's WARN and FAIL come from this module, per
partition (alerting/observe.deadline_signals). No Dagster import: pure and testable with any clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from zoneinfo import ZoneInfo

from pipeline_ops.alerting.signals import Signal
from pipeline_ops.config.models import Pipeline, Sla

UTC = dt.timezone.utc


class Verdict(str, Enum):
    PASS = "PASS"  # on time (or not due yet)
    WARN = "WARN"  # late or missing, within the tolerance
    FAIL = "FAIL"  # later than deadline + tolerance, or still missing then


def freshness_verdict(deadline: dt.datetime, tolerance: dt.timedelta, materialized_at: dt.datetime | None,
                      now: dt.datetime) -> Verdict:
    """The verdict for one partition due at `deadline` (aware datetimes).

    Materialized at m: m <= deadline PASS, m <= deadline + tolerance WARN, else FAIL.
    Still missing at `now`: before the deadline PASS (not due yet), from the deadline WARN, from
    deadline + tolerance FAIL (with no tolerance, missing at the deadline is FAIL).
    """
    if materialized_at is not None:
        if materialized_at <= deadline:
            return Verdict.PASS
        return Verdict.WARN if materialized_at <= deadline + tolerance else Verdict.FAIL
    if now < deadline:
        return Verdict.PASS
    return Verdict.WARN if now < deadline + tolerance else Verdict.FAIL


def last_complete_partition(pipeline: Pipeline, when: dt.datetime) -> str:
    """The partition a run at `when` builds, and the one due at a deadline: yesterday (UTC) or last month."""
    day = when.astimezone(UTC).date()
    if pipeline.sla.cadence == "monthly":
        return (day.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    return (day - dt.timedelta(days=1)).isoformat()


def latest_deadline(sla: Sla, now: dt.datetime) -> dt.datetime:
    """The most recent deadline at or before `now`, in UTC (daily: today's or yesterday's;
    monthly: this month's or last month's `day_of_month`), wall time in the SLA's timezone."""
    tz = ZoneInfo(sla.timezone)
    local = now.astimezone(tz).date()

    def at(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, sla.deadline_time, tzinfo=tz).astimezone(UTC)

    if sla.cadence == "monthly":
        this = at(local.replace(day=sla.day_of_month))
        if this <= now:
            return this
        previous = local.replace(day=1) - dt.timedelta(days=1)
        return at(previous.replace(day=sla.day_of_month))
    today = at(local)
    return today if today <= now else at(local - dt.timedelta(days=1))


@dataclass(frozen=True)
class Due:
    """One output partition owed at one deadline."""

    pipeline: str  # pipeline key = output asset key
    partition: str
    deadline: dt.datetime  # UTC
    tolerance: dt.timedelta

    @property
    def fail_at(self) -> dt.datetime:
        return self.deadline + self.tolerance

    def verdict(self, materialized_at: dt.datetime | None, now: dt.datetime) -> Verdict:
        return freshness_verdict(self.deadline, self.tolerance, materialized_at, now)


def tolerance(sla: Sla) -> dt.timedelta:
    return dt.timedelta(minutes=sla.freshness_tolerance_minutes)


def due(pipeline: Pipeline, now: dt.datetime) -> Due:
    """The partition owed at the most recent deadline at or before `now`."""
    deadline = latest_deadline(pipeline.sla, now)
    return Due(pipeline.key, last_complete_partition(pipeline, deadline), deadline, tolerance(pipeline.sla))


def minutes_late(deadline: dt.datetime, at: dt.datetime) -> int:
    """Whole minutes after the deadline (0 when on time), for messages."""
    return max(0, int((at - deadline).total_seconds() // 60))


FirstBuilt = Callable[[str, str], "tuple[dt.datetime, str] | None"]  # (asset, partition) -> (when, run id)
BuiltBefore = Callable[[str, dt.datetime], bool]  # (asset, instant) -> any materialization before it
_OPEN_PER_OUTPUT = 32  # a retired output's missing days stop being looked at after about a month


def deadline_signals(pipelines: list[Pipeline], state: dict[str, list], now: dt.datetime,
                     first_built: FirstBuilt, built_before: BuiltBefore) -> list[Signal]:
    """Alert signals for each output's due partition and every partition still late.

    `state` (the sensor cursor, mutated) maps "output|partition" -> [WARN | FAIL | DONE, deadline ISO]:
    each partition says WARN once (from the deadline, `freshness_warn`) and FAIL once (from
    deadline + tolerance, `freshness`, level ERROR: investor SLOs page); its first materialization
    recovers both, and then it is DONE (settled; forgotten once no longer the due partition).
    A partition first seen already built, even late, raises nothing: there is nothing to act on.
    An output never built before a deadline is not in service yet and owes nothing.
    """
    out: list[Signal] = []
    for p in pipelines:
        current = due(p, now)
        mine = sorted(k for k in state if k.split("|", 1)[0] == p.key)
        for k in mine[:-_OPEN_PER_OUTPUT]:
            del state[k]
        tracked = {k: state[k] for k in mine[-_OPEN_PER_OUTPUT:]}
        tracked.setdefault(f"{p.key}|{current.partition}", [None, current.deadline.isoformat()])
        for k, (seen, deadline) in tracked.items():
            partition = k.split("|", 1)[1]
            if seen == "DONE":
                if partition != current.partition:
                    del state[k]
                continue
            d = Due(p.key, partition, dt.datetime.fromisoformat(deadline), tolerance(p.sla))
            signals, state[k] = _step(d, seen, now, first_built, built_before)
            out += signals
    return out


def _step(d: Due, seen: str | None, now: dt.datetime, first_built: FirstBuilt,
          built_before: BuiltBefore) -> tuple[list[Signal], list]:
    built = first_built(d.pipeline, d.partition)
    verdict = d.verdict(built[0] if built else None, now)
    tol, where = int(d.tolerance.total_seconds() // 60), f"{d.pipeline} {d.partition}"
    details = {"verdict": verdict.value, "deadline": d.deadline.isoformat(), "fail_at": d.fail_at.isoformat(),
               "tolerance_minutes": tol}
    keep = [seen, d.deadline.isoformat()]
    if built is not None:
        at, run_id = built
        text = (f"{where} materialized on time" if verdict is Verdict.PASS else
                f"{where} materialized {minutes_late(d.deadline, at)} min after its deadline: {verdict.value}")
        names = {"WARN": ["freshness_warn"], "FAIL": ["freshness_warn", "freshness"]}.get(seen or "", [])
        return [Signal("freshness", d.pipeline, n, False, at, d.partition, summary=text,
                       details={**details, "materialized_at": at.isoformat()}, source=run_id)
                for n in names], ["DONE", d.deadline.isoformat()]
    if verdict is Verdict.PASS:
        return [], keep  # not due yet
    if seen is None and not built_before(d.pipeline, d.deadline):
        return [], ["DONE", d.deadline.isoformat()]
    if verdict is Verdict.WARN and seen is None:
        return [Signal("freshness", d.pipeline, "freshness_warn", True, d.deadline, d.partition, "WARN",
                       f"{where} not materialized by its deadline: freshness FAIL in {tol} min "
                       f"({d.fail_at:%Y-%m-%d %H:%M}Z)", details)], ["WARN", d.deadline.isoformat()]
    if verdict is Verdict.FAIL and seen != "FAIL":
        return [Signal("freshness", d.pipeline, "freshness", True, d.fail_at, d.partition, "ERROR",
                       f"{where} still missing {tol} min after its deadline: freshness SLO breached",
                       details)], ["FAIL", d.deadline.isoformat()]
    return [], keep
