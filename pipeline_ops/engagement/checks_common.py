"""What the engagement checks share: the click asset's per-day counts, shares with an evidence gate,
a recent-days baseline and the PSI of a profiled distribution against the previous days.

- `day_counts`: the per-day counts `stg_click_events` computed while classifying lines (duplicates
  removed, bots, too late, set-aside lines), handed to the audit as `audit_extra["click_counts"]`:
  the audit never re-runs the Spark plan to count them again.
- `share_level`: a share beyond its ERROR bound blocks only when at least `min_share_count` rows are
  affected; fewer is a WARN (four bad lines in a six-line test day are worth a look, not a blocked day),
  and fewer than `min_share_warn_count` is not judged (two late events out of 23 are noise).
- `recent_baseline` / `distribution_drift`: statistics that are not weekly seasonal (events per user,
  the hour-of-day profile, session lengths: in the generator and in the product only *how many*
  users are active depends on the weekday) are compared with the previous
  `distribution_baseline_days` days, not only the same weekday: a tighter baseline, available after
  `baseline_min_points` days instead of four weeks. Flagged days and days smaller than
  `psi_min_rows` are left out.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Mapping, Sequence

from pipeline_ops.config.quality import Thresholds
from pipeline_ops.quality.audit import AuditContext
from pipeline_ops.quality.baseline import Baseline, psi
from pipeline_ops.quality.outcome import Level, Outcome, passed

COUNTS_KEY = "click_counts"  # audit_extra key: {day: {count name: int}} (events_asset._counts)
SAMPLE_KEY = "set_aside_sample"  # audit_extra key: up to 5 set-aside lines of the run (category, file, line)
_RANK = {"pass": 0, "warn": 1, "error": 2}


def worst(*levels: Level) -> Level:
    return max(levels, key=_RANK.__getitem__, default="pass")


def day_counts(ctx: AuditContext, partition: str) -> dict[str, int]:
    """The click asset's counts for the day; a missing hand-over is a wiring bug and raises (an ERROR result)."""
    counts = (ctx.extra.get(COUNTS_KEY) or {}).get(partition)
    if counts is None:
        raise LookupError(f"stg_click_events handed over no per-day counts for {partition} (audit_extra['{COUNTS_KEY}'])")
    return counts


def unique_events(c: Mapping[str, int]) -> int:
    """The day's distinct good events (first deliveries): published, too late or removed as bots."""
    return c.get("clean_events", 0) + c.get("too_late_events", 0) + c.get("bot_user_agent_events", 0) + c.get(
        "bot_rate_events", 0)


def share(count: float, total: float) -> float:
    return count / total if total > 0 else 0.0


def share_level(count: float, total: float, warn: float | None, error: float | None, t: Thresholds) -> Level:
    """Level of count/total: ERROR beyond `error` with >= min_share_count rows (fewer: WARN), WARN beyond
    `warn`; with fewer than min_share_warn_count affected rows the share is noise and passes."""
    value = share(count, total)
    if count < t.min_share_warn_count:
        return "pass"
    if error is not None and value > error:
        return "error" if count >= t.min_share_count else "warn"
    if warn is not None and value > warn:
        return "warn"
    return "pass"


def previous_days(partition: str, days: int) -> list[str]:
    day = dt.date.fromisoformat(partition)
    return [(day - dt.timedelta(days=k)).isoformat() for k in range(1, days + 1)]


def recent_baseline(ctx: AuditContext, name: str, partition: str) -> Baseline:
    """Median/MAD of `name` over the previous distribution_baseline_days days (flagged days left out)."""
    t = ctx.thresholds
    picked = []
    for d in previous_days(partition, t.distribution_baseline_days):
        prof = ctx.profile_of(d)
        if prof is None or name not in prof.metrics or name in prof.flagged or prof.metrics[name] != prof.metrics[name]:
            continue
        picked.append((d, prof.metrics[name]))
    if len(picked) < t.baseline_min_points:
        return Baseline("insufficient", len(picked), days=tuple(d for d, _ in picked))
    values = [v for _, v in picked]
    median = statistics.median(values)
    mad = statistics.median(abs(v - median) for v in values)
    return Baseline("recent_days_median_mad", len(picked), median, mad, tuple(d for d, _ in picked))


def distribution_drift(
    ctx: AuditContext, partition: str, bins: Mapping[str, str], rows: float, what: str, sql: str,
) -> Outcome:
    """PSI of the partition's bin shares (`bins`: label -> profile metric) against the per-bin median of
    the previous days' profiles. WARN above psi_warn, ERROR above psi_error; not judged below
    psi_min_rows rows or with fewer than baseline_min_points usable days."""
    t = ctx.thresholds
    names = set(bins.values())
    history = []
    for d in previous_days(partition, t.distribution_baseline_days):
        prof = ctx.profile_of(d)
        if prof is None or not names <= set(prof.metrics) or names & prof.flagged:
            continue
        if prof.metrics.get("rows", 0.0) < t.psi_min_rows:
            continue  # a tiny day is a noisy baseline
        history.append(d)
    bound = {"method": "PSI vs per-bin median of the previous days", "baseline_days": history,
             "warn": f"psi > {t.psi_warn}", "error": f"psi > {t.psi_error}", "min_rows": t.psi_min_rows,
             "min_days": t.baseline_min_points}
    if rows < t.psi_min_rows:
        return passed(f"{what}: {rows:g} rows, fewer than psi_min_rows ({t.psi_min_rows}): not judged", bound=bound,
                      observed={"rows": rows})
    if len(history) < t.baseline_min_points:
        return passed(f"{what}: {len(history)} usable baseline day(s) (need {t.baseline_min_points}): not judged",
                      bound=bound, observed={"rows": rows})
    actual = {label: ctx.metric(m, partition) for label, m in bins.items()}
    expected = {label: statistics.median(ctx.profile_of(d).metrics[m] for d in history) for label, m in bins.items()}
    value = psi(expected, actual)
    moves = sorted(bins, key=lambda b: abs(actual[b] - expected[b]), reverse=True)
    sample = [{"bin": b, "share": round(actual[b], 5), "baseline_share": round(expected[b], 5),
               "change_pp": round(100 * (actual[b] - expected[b]), 3)} for b in moves[:5]]
    observed = {"psi": round(value, 4), "rows": rows, "largest_moves": sample}
    level: Level = "error" if value > t.psi_error else "warn" if value > t.psi_warn else "pass"
    summary = (f"{what}: PSI {value:.3f} against the previous {len(history)} days; largest move: bin {moves[0]} "
               f"{sample[0]['baseline_share']:.2%} -> {sample[0]['share']:.2%}")
    if level == "pass":
        return passed(summary, observed=observed, bound=bound)
    return Outcome(level, summary, observed, bound, failing_count=sum(abs(s["change_pp"]) >= 1 for s in sample) or 1,
                   sample=sample, sql=sql, flag_metrics=tuple(sorted(names)))


def combine(parts: Sequence[tuple[Level, str]], ok: str) -> tuple[Level, str]:
    """The worst level of the parts and a summary naming every part that did not pass (or `ok`)."""
    bad = [(lvl, text) for lvl, text in parts if lvl != "pass"]
    if not bad:
        return "pass", ok
    bad.sort(key=lambda p: -_RANK[p[0]])
    return bad[0][0], "; ".join(f"{lvl.upper()}: {text}" for lvl, text in bad)
