"""Checks of `engagement_aggregate` (investor-facing): plausibility and experiment exclusion.

plausibility: exactly one row; dau <= wau <= mau; every ratio finite (no NaN or infinity); the per-user
ratios null exactly when dau = 0 (divide-by-zero gives null, never a number); adoption and
d7_retention in [0, 1]; sessions_per_user >= 1 when dau > 0 (each active user has a session).
experiment_excluded: dau, wau and mau recomputed from the published stg_user_activity_daily without
the rows flagged exclude_from_investor must equal the staged row; and dau recomputed from the day's
stg_experiment_assignments directly (users and accounts in excluded experiments), independent of the
activity's flag, must match too. Both are ERRORs: the partition is not published.
"""

from __future__ import annotations

import datetime as dt

from pipeline_ops.engagement.aggregate import MAU_DAYS, WAU_DAYS
from pipeline_ops.landing.contract import FEATURES
from pipeline_ops.metrics.engagement import ACTIVITY_SCHEMA, AGGREGATE_SCHEMA
from pipeline_ops.quality.audit import AuditContext
from pipeline_ops.quality.generic import lake_query
from pipeline_ops.quality.outcome import CheckDef, Outcome, passed
from pipeline_ops.staging.schemas import EXPERIMENT_ASSIGNMENTS

AGG = AGGREGATE_SCHEMA.asset
ADOPTION = tuple(f"adoption_{f}" for f in FEATURES)
PER_USER = ("sessions_per_user", "time_in_app_min_per_user", "clicks_per_user", *ADOPTION)
FLOATS = tuple(f.name for f in AGGREGATE_SCHEMA.fields if f.dtype == "float64")


def _plausibility(ctx: AuditContext, partition: str) -> Outcome:
    nonfinite = " + ".join(f"(CASE WHEN isnan({c}) OR isinf({c}) THEN 1 ELSE 0 END)" for c in FLOATS)
    null_mismatch = " + ".join(f"(CASE WHEN ({c} IS NULL) <> (dau = 0) THEN 1 ELSE 0 END)" for c in PER_USER)
    out_of_unit = " + ".join(f"(CASE WHEN {c} < 0 OR {c} > 1 THEN 1 ELSE 0 END)" for c in (*ADOPTION, "d7_retention"))
    rows = ctx.rows(
        f"select *, (dau > wau or wau > mau or dau < 0) as bad_order, {nonfinite} as non_finite, "
        f"{null_mismatch} as null_vs_dau, {out_of_unit} as outside_0_1, "
        "(dau > 0 and sessions_per_user < 1) as sessions_below_one from {t}", partition)
    bound = {"rows": 1, "order": "0 <= dau <= wau <= mau", "ratios": "finite; per-user ratios null iff dau = 0",
             "adoption_and_d7_retention": "[0, 1] or null", "sessions_per_user": ">= 1 when dau > 0"}
    if len(rows) != 1:
        return Outcome("error", f"{len(rows)} rows for {partition} (exactly one expected: a fan-out or a lost day)",
                       {"rows": len(rows)}, bound, failing_count=abs(len(rows) - 1) or 1, sample=rows[:20],
                       sql=lake_query("select date, count(*) as rows_for_day from engagement_aggregate group by date "
                                      "having count(*) <> 1"))
    r = rows[0]
    problems = []
    if r["bad_order"]:
        problems.append(f"dau {r['dau']} <= wau {r['wau']} <= mau {r['mau']} breaks")
    if r["non_finite"]:
        problems.append(f"{r['non_finite']} ratio(s) NaN or infinite: " + ", ".join(
            c for c in FLOATS if r[c] is not None and (r[c] != r[c] or abs(r[c]) == float("inf"))))
    if r["null_vs_dau"]:
        problems.append(f"{r['null_vs_dau']} per-user ratio(s) null while dau > 0, or set while dau = 0 (dau {r['dau']})")
    if r["outside_0_1"]:
        problems.append("outside [0, 1]: " + ", ".join(
            f"{c} {r[c]:.4f}" for c in (*ADOPTION, "d7_retention") if r[c] is not None and not 0 <= r[c] <= 1))
    if r["sessions_below_one"]:
        problems.append(f"sessions_per_user {r['sessions_per_user']:.3f} < 1 (active users without a session)")
    observed = {k: r[k] for k in ("dau", "wau", "mau", "sessions_per_user", "d7_retention", "window_days_available")}
    if not problems:
        return passed(f"dau {r['dau']} <= wau {r['wau']} <= mau {r['mau']}; every ratio finite, in range and null "
                      "only for dau = 0", observed=observed, bound=bound)
    sample = [{k: v for k, v in r.items() if k not in ("bad_order", "non_finite", "null_vs_dau", "outside_0_1",
                                                        "sessions_below_one")}]
    return Outcome("error", f"engagement_aggregate {partition} is implausible: " + "; ".join(problems), observed, bound,
                   failing_count=len(problems), sample=sample,
                   sql=lake_query(f"select * from engagement_aggregate where date = '{partition}'"))


PLAUSIBILITY = CheckDef(
    "plausibility", AGG, "plausibility",
    "Exactly one row per day; 0 <= dau <= wau <= mau; no ratio NaN or infinite; per-user ratios null exactly when "
    "dau = 0 (no divide-by-zero); feature adoption and d7_retention within [0, 1]; sessions_per_user >= 1 when "
    "dau > 0. ERROR (blocks).",
    "feature-adoption-out-of-range", _plausibility,
    failure_modes=("feature-adoption-out-of-range", "na-or-divide-by-zero", "join-fan-out-or-null-explosion"),
)


def _window(partition: str, days: int) -> tuple[str, str]:
    day = dt.date.fromisoformat(partition)
    return (day - dt.timedelta(days=days - 1)).isoformat(), partition


def _experiment_excluded(ctx: AuditContext, partition: str) -> Outcome:
    staged = ctx.rows("select dau, wau, mau from {t}", partition)
    if len(staged) != 1:
        return passed(f"{len(staged)} rows: reported by plausibility", observed={"rows": len(staged)})
    got = staged[0]
    if not ctx.lake_has(ACTIVITY_SCHEMA.asset):
        return Outcome("error", "stg_user_activity_daily is not in the lake: the investor population cannot be "
                       "recomputed", got, failing_count=1)
    (m0, _), (w0, _) = _window(partition, MAU_DAYS), _window(partition, WAU_DAYS)
    act = ACTIVITY_SCHEMA.asset
    want = ctx.lake_rows(
        f"select count(distinct user_id) filter (where date = '{partition}' and not exclude_from_investor) as dau, "
        f"count(distinct user_id) filter (where date >= '{w0}' and not exclude_from_investor) as wau, "
        "count(distinct user_id) filter (where not exclude_from_investor) as mau, "
        f"count(distinct user_id) filter (where date = '{partition}' and exclude_from_investor) as excluded_dau, "
        f"count(distinct user_id) filter (where date = '{partition}') as all_dau "
        f"from {act} where date between '{m0}' and '{partition}'")[0]
    independent = None
    if ctx.lake.has_partition(EXPERIMENT_ASSIGNMENTS.asset, partition):
        x = (f"select unit_id from stg_experiment_assignments where date = '{partition}' and unit_type = '{{}}' "
             "and exclude_from_investor")
        independent = ctx.lake_rows(
            f"select count(distinct user_id) as dau from {act} where date = '{partition}' "
            f"and user_id not in ({x.format('user')}) and coalesce(account_id not in ({x.format('account')}), true)")[0]["dau"]
    diffs = {k: int(got[k]) - int(want[k]) for k in ("dau", "wau", "mau") if int(got[k]) != int(want[k])}
    if independent is not None and int(got["dau"]) != int(independent):
        diffs["dau_vs_assignments"] = int(got["dau"]) - int(independent)
    observed = {"published": got, "recomputed": want, "dau_from_assignments": independent}
    bound = {"dau, wau, mau": "equal to distinct activity users without exclude_from_investor (D, D-6..D, D-27..D)",
             "dau_from_assignments": "equal (when the day's assignments are in the lake)"}
    if not diffs:
        return passed(f"dau {got['dau']}, wau {got['wau']}, mau {got['mau']} leave out the {want['excluded_dau']} "
                      "excluded users of the day", observed=observed, bound=bound)
    leak = int(got["dau"]) - int(want["dau"])
    return Outcome("error", f"experiment traffic in investor numbers for {partition}: "
                   + ", ".join(f"{k} {v:+d}" for k, v in diffs.items())
                   + (f" (published dau {got['dau']} vs {want['dau']} without excluded users; {want['all_dau']} with them)"
                      if leak else ""), observed, bound, failing_count=max(abs(v) for v in diffs.values()),
                   sql=lake_query(
                       f"select user_id, account_id, experiment_id, variant, exclude_from_investor from {act} "
                       f"where date = '{partition}' and exclude_from_investor limit 100"))


EXPERIMENT_EXCLUDED = CheckDef(
    "experiment_excluded", AGG, "accuracy",
    "dau, wau and mau equal the distinct users of the published stg_user_activity_daily without rows flagged "
    "exclude_from_investor (D, D-6..D, D-27..D), and dau equals a recomputation straight from the day's "
    "stg_experiment_assignments (users and accounts in excluded experiments left out). ERROR (blocks): "
    "experiment traffic must never reach investor numbers.",
    "experiment-traffic-leak", _experiment_excluded, failure_modes=("experiment-traffic-leak",),
)

AGGREGATE_METRICS = {"dau": "max(dau)", "wau": "max(wau)", "mau": "max(mau)"}
