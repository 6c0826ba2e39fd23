"""What the growth checks share: the landing files the staging assets read, and the stock-change check.

- `landing_view`: the growth staging assets hand their landing zone to the audit
  (`audit_extra={"landing": zone}`), because two checks need what staging drops or another
  source's file of the day: company names and signup times (duplicate accounts with new ids) and
  the accounts snapshot next to the subscription events (a churn of an account the day's snapshot
  still shows active). Each file is read once per audit and registered as a DuckDB view.
- `stock_change`: stocks (accounts in the snapshot, active accounts, licences, MRR) are not weekly
  seasonal; they trend slowly (about +3 % a month in the generator) and move < 1 % a day at scale 1,
  so a same-weekday median would lag the trend by weeks. The test is the day-over-day change
  against the last day with an unflagged profile: WARN beyond `max_stock_change` (10 %), ERROR
  beyond `max_stock_change_error` (25 %), and both only when the change is also statistically
  unusual against the previous 28 days' daily changes (robust z above warn_z / error_z; with
  fewer than baseline_min_points changes only the percent bound applies). Fewer than
  `stock_min_accounts` (50) active accounts the day before: one account is a large share, not judged.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
import weakref
from collections.abc import Mapping

from pipeline_ops.landing.reader import LandingError
from pipeline_ops.quality.audit import AuditContext
from pipeline_ops.quality.baseline import MAD_SCALE
from pipeline_ops.quality.generic import lake_query
from pipeline_ops.quality.outcome import CheckDef, Level, Outcome, passed

LANDING_KEY = "landing"  # audit_extra key: the LandingZone the staging asset read
HISTORY_DAYS = 28  # daily changes that form a stock's noise baseline
LOOKBACK_DAYS = 7  # the "previous day" of a stock is the latest unflagged profile this far back
_RANK = {"pass": 0, "warn": 1, "error": 2}
_VIEWS: "weakref.WeakKeyDictionary[AuditContext, dict[str, str | None]]" = weakref.WeakKeyDictionary()


def worst(*levels: Level) -> Level:
    return max(levels, key=_RANK.__getitem__, default="pass")


def landing_view(ctx: AuditContext, source: str, day: str) -> str | None:
    """A DuckDB view on `ctx` of `source`'s landing files for `day` (typed as the contract says).

    None when the folder is absent or unreadable: the source's own landing contract reports that,
    so a check that only cross-references the file skips that part rather than failing twice.
    """
    views = _VIEWS.setdefault(ctx, {})
    name = f"landing_{source}_{day.replace('-', '_')}"
    if name not in views:
        zone = ctx.extra.get(LANDING_KEY)
        if zone is None:
            raise LookupError(f"{ctx.asset} handed over no landing zone (audit_extra['{LANDING_KEY}']): wiring bug")
        try:
            frame = zone.read(source, [dt.date.fromisoformat(day)], required=True).drop(columns="_file")
            ctx.con.register(name, frame)
            views[name] = name
        except LandingError:
            views[name] = None
    return views[name]


def _change(now: float, before: float) -> float:
    if before == 0:
        return 0.0 if now == 0 else math.inf
    return now / before - 1


def _series(ctx: AuditContext, partition: str, metric: str) -> dict[str, float]:
    """Unflagged profile values of `metric` over the HISTORY_DAYS + 1 days before `partition`."""
    day, out = dt.date.fromisoformat(partition), {}
    for k in range(1, HISTORY_DAYS + 2):
        d = (day - dt.timedelta(days=k)).isoformat()
        prof = ctx.profile_of(d)
        if prof is not None and metric in prof.metrics and metric not in prof.flagged and not math.isnan(prof.metrics[metric]):
            out[d] = prof.metrics[metric]
    return out


def _judge(ctx: AuditContext, partition: str, metric: str, size_metric: str) -> tuple[Level, dict]:
    t = ctx.thresholds
    series = _series(ctx, partition, metric)
    day = dt.date.fromisoformat(partition)
    recent = [(day - dt.timedelta(days=k)).isoformat() for k in range(1, LOOKBACK_DAYS + 1)]
    prev = next((d for d in recent if d in series), None)
    if prev is None:
        return "pass", {"compared_with": None}
    size = ctx.profile_of(prev).metrics.get(size_metric, 0.0)
    now = ctx.metric(metric, partition)
    change = _change(now, series[prev])
    history = [_change(series[d], series[p]) for d, p in zip(sorted(series)[1:], sorted(series)[:-1])
               if (dt.date.fromisoformat(d) - dt.date.fromisoformat(p)).days == 1 and series[p]]
    info = {"compared_with": prev, "before": series[prev], "now": now,
            "change": round(change, 5) if math.isfinite(change) else "inf", "history_changes": len(history)}
    if size < t.stock_min_accounts:
        info["not_judged"] = f"{size:g} active accounts < stock_min_accounts"
        return "pass", info
    z = math.inf
    if len(history) >= t.baseline_min_points:
        median = statistics.median(history)
        spread = MAD_SCALE * statistics.median(abs(h - median) for h in history)
        z = abs(change - median) / spread if spread else (0.0 if change == median else math.inf)
        info["z"] = round(z, 2) if math.isfinite(z) else "inf"
    if abs(change) > t.max_stock_change_error and z > t.error_z:
        return "error", info
    if abs(change) > t.max_stock_change and z > t.warn_z:
        return "warn", info
    return "pass", info


def _move(what: str, info: dict) -> str:
    change = f" ({info['change']:+.1%})" if isinstance(info["change"], float) else " (from 0)"
    return f"{what} {info['before']:g} -> {info['now']:g}{change}"


def stock_change(
    asset: str, name: str, section: str, metrics: Mapping[str, str], size_metric: str, table_sql: str,
    failure_modes: tuple[str, ...],
) -> CheckDef:
    """Day-over-day change of each profile metric in `metrics` ({metric: what it is}); see the module docstring.

    `size_metric` is the profile metric that says how many active accounts the stocks rest on;
    `table_sql` a lake query (with `{prev}` and `{day}`) that shows the two days side by side.
    """

    def evaluate(ctx: AuditContext, partition: str) -> Outcome:
        t = ctx.thresholds
        found = {m: _judge(ctx, partition, m, size_metric) for m in metrics}
        observed = {m: info for m, (_, info) in found.items()}
        bound = {"warn": f"|change| > {t.max_stock_change:.0%} and |z| > {t.warn_z}",
                 "error": f"|change| > {t.max_stock_change_error:.0%} and |z| > {t.error_z}",
                 "z_against": f"daily changes of the previous {HISTORY_DAYS} days (>= {t.baseline_min_points}, else % only)",
                 "min_active_accounts": t.stock_min_accounts}
        level = worst(*(lvl for lvl, _ in found.values()))
        prev = next((info["compared_with"] for _, info in found.values() if info.get("compared_with")), None)
        if prev is None:
            return passed(f"no earlier profile within {LOOKBACK_DAYS} days to compare with", observed=observed, bound=bound)
        moves = "; ".join(_move(metrics[m], info) for m, (_, info) in found.items() if info.get("compared_with"))
        if level == "pass":
            return passed(f"vs {prev}: {moves}", observed=observed, bound=bound)
        bad = tuple(m for m, (lvl, _) in found.items() if lvl != "pass")
        return Outcome(level, f"stock moved overnight vs {prev}: {moves}", observed, bound, failing_count=len(bad),
                       sql=lake_query(table_sql.format(prev=prev, day=partition)), flag_metrics=bad)

    described = ", ".join(metrics.values())
    return CheckDef(
        name, asset, "drift",
        f"Day-over-day change of {described} against the previous day's profile: WARN beyond max_stock_change (10 %), "
        "ERROR beyond max_stock_change_error (25 %), each only when also unusual against the previous 28 days' daily "
        "changes (robust z); not judged below stock_min_accounts (50) active accounts. Stocks are not weekly "
        "seasonal, so no same-weekday baseline.",
        section, evaluate, failure_modes=failure_modes,
    )
