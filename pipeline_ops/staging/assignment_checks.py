"""Quality checks of stg_experiment_assignments (framework and severity policy: pipeline_ops/quality).

The asset is on the investor path: `exclude_from_investor` is what keeps pricing-test and dogfood
traffic out of investor numbers, so an ERROR blocks the day (and growth, profit and engagement
downstream). Runbook: runbooks/growth_daily.md (the asset's pipeline). Re-running a day compares it
again with the previous day as staged in the same run, else as published.

| check | detects | bound |
|---|---|---|
| landing_experiment_assignments_contract | a snapshot unlike the contract or yesterday's; a unit twice | ERROR, before |
| | with different arms or flags (exact repeats are dropped by the asset) | reading |
| contract | staged rows: types, nulls, one row per key, unit_type and variant values | ERROR |
| exclusions_stable | an experiment's investor exclusions dropping out of the assignments | `_exclusions_stable` |
"""

from __future__ import annotations

from pipeline_ops.quality.audit import AuditContext
from pipeline_ops.quality.generic import contract, lake_query
from pipeline_ops.quality.landing import landing_contract
from pipeline_ops.quality.neighbours import neighbour_rows
from pipeline_ops.quality.outcome import CheckDef, Outcome, passed
from pipeline_ops.quality.spec import AssetQuality
from pipeline_ops.staging.schemas import EXPERIMENT_ASSIGNMENTS

ASSET = EXPERIMENT_ASSIGNMENTS.asset
SECTION = "experiment-assignment-mismatch"
_KEY = ("experiment_id", "unit_type", "unit_id")

# Per experiment that had excluded units in yesterday's snapshot: what became of those units today
# ('kept' still excluded, 'left' out of today's snapshot (churned: the asset carries them for the day
# with in_snapshot = false), 'unflagged' in today's snapshot without the flag), plus today's unflagged
# newcomers of an experiment that was excluded as a whole yesterday, and today's units of the experiment.
_FATE_SQL = """
WITH y AS (SELECT experiment_id, unit_type, unit_id, exclude_from_investor AS ex FROM {y} WHERE in_snapshot),
     y_exp AS (SELECT experiment_id, count(*) FILTER (WHERE ex) AS excluded_before,
                      count(*) FILTER (WHERE NOT ex) AS included_before FROM y GROUP BY 1),
     units AS (SELECT unit_type, unit_id, bool_or(exclude_from_investor) AS ex, bool_or(in_snapshot) AS present
               FROM {t} GROUP BY 1, 2),
     fate AS (SELECT y.experiment_id, y.unit_type, y.unit_id,
                     CASE WHEN u.unit_id IS NULL OR NOT u.present THEN 'left' WHEN u.ex THEN 'kept' ELSE 'unflagged' END AS fate
              FROM y LEFT JOIN units u USING (unit_type, unit_id) WHERE y.ex),
     newcomers AS (SELECT t.experiment_id, t.unit_type, t.unit_id, 'unflagged newcomer' AS fate
                   FROM {t} t JOIN y_exp e USING (experiment_id)
                   LEFT JOIN y ON y.experiment_id = t.experiment_id AND y.unit_type = t.unit_type AND y.unit_id = t.unit_id
                   WHERE t.in_snapshot AND NOT t.exclude_from_investor AND e.included_before = 0 AND y.unit_id IS NULL),
     today AS (SELECT experiment_id, count(*) FILTER (WHERE in_snapshot) AS units_today FROM {t} GROUP BY 1)
SELECT e.experiment_id, e.excluded_before, coalesce(today.units_today, 0) AS units_today,
       count(*) FILTER (WHERE f.fate = 'kept') AS kept, count(*) FILTER (WHERE f.fate = 'left') AS left_snapshot,
       count(*) FILTER (WHERE f.fate LIKE 'unflagged%') AS unflagged,
       list(struct_pack(unit_type := f.unit_type, unit_id := f.unit_id, fate := f.fate) ORDER BY f.fate DESC, f.unit_id)
           FILTER (WHERE f.fate <> 'kept') AS changed
FROM y_exp e
LEFT JOIN (SELECT * FROM fate UNION ALL SELECT * FROM newcomers) f USING (experiment_id)
LEFT JOIN today USING (experiment_id)
WHERE e.excluded_before > 0
GROUP BY ALL ORDER BY e.experiment_id
"""


def _exclusions_stable(ctx: AuditContext, partition: str) -> Outcome:
    """Yesterday's excluded units of each experiment against today's assignments.

    - ERROR `unflagged`: a unit excluded yesterday is in today's snapshot without the flag, or a unit
      of an experiment that was wholly excluded yesterday arrives without it. The flag belongs to the
      experiment and never changes in clean data: any such unit's traffic would reach investors today.
    - ERROR departure: more than `exclusion_drop_share` (20 %) and at least `exclusion_min_units` (5) of
      an experiment's excluded units left the snapshot in one day while the experiment still has units
      today (clean data loses at most one a day, to churn): the left units are carried for today, but from
      tomorrow they would count for investors.
    - WARN ended: every unit of an experiment with at least `exclusion_min_units` excluded units left
      the snapshot: the experiment ended (confirm with Data Science) or its rows dropped out.
    No previous day (the first day of a lake): nothing to compare, passes.
    """
    prev = ctx.previous_partition(partition)
    t = ctx.thresholds
    bound = {"previous_day": prev, "unflagged_units": 0,
             "departures": f"> {t.exclusion_drop_share:.0%} of an experiment's excluded units and >= {t.exclusion_min_units} "
                           "while it keeps running: ERROR; all of them (>= the same minimum): WARN"}
    rows = neighbour_rows(ctx, _FATE_SQL, partition, prev)
    if rows is None:
        return passed(f"no assignments for {prev} to compare with (first day of the lake)", bound=bound)
    observed = {r["experiment_id"]: {k: r[k] for k in ("excluded_before", "kept", "left_snapshot", "unflagged", "units_today")}
                for r in rows}
    errors, warnings, sample = [], [], []
    for r in rows:
        exp, before, left, unflagged = r["experiment_id"], r["excluded_before"], r["left_snapshot"], r["unflagged"]
        changed = [{"experiment_id": exp, **c} for c in (r["changed"] or [])]
        if unflagged:
            errors.append(f"{exp}: {unflagged} unit(s) lost exclude_from_investor ({before} excluded on {prev})")
            sample += [c for c in changed if c["fate"].startswith("unflagged")]
        elif r["units_today"] and left >= t.exclusion_min_units and left > t.exclusion_drop_share * before:
            errors.append(f"{exp}: {left} of its {before} excluded units left the snapshot while it keeps running")
            sample += changed
        elif not r["units_today"] and before >= t.exclusion_min_units:
            warnings.append(f"{exp}: all {before} excluded units left the snapshot (experiment ended, or its rows dropped out)")
            sample += changed
    if not errors and not warnings:
        kept = sum(r["kept"] for r in rows)
        return passed(f"{len(rows)} excluded experiment(s) keep their exclusions ({kept} units kept, "
                      f"{sum(r['left_snapshot'] for r in rows)} left the snapshot)", observed=observed, bound=bound)
    sql = lake_query(
        f"select date, experiment_id, count(*) filter (where in_snapshot) as units, count(*) filter (where in_snapshot and "
        f"exclude_from_investor) as excluded, count(*) filter (where not in_snapshot) as left_during_day from {ASSET} "
        f"where date in ('{prev}', '{partition}') group by all order by 2, 1")
    return Outcome("error" if errors else "warn", f"exclusions changed against {prev}: " + "; ".join(errors + warnings),
                   observed, bound, failing_count=len(sample), sample=sample[:20], sql=sql)


EXCLUSIONS_STABLE = CheckDef(
    "exclusions_stable", ASSET, "completeness",
    "Every experiment excluded from investor numbers keeps its exclusions from one day to the next: no unit excluded "
    "yesterday (or new in a wholly excluded experiment) without the flag today (ERROR), no more than "
    "exclusion_drop_share (20 %, at least exclusion_min_units = 5) of its excluded units leaving the snapshot in a day "
    "while the experiment keeps running (ERROR); all of them leaving is an ended experiment to confirm (WARN). "
    "Compared with the previous day as staged in the run, else as published.",
    SECTION, _exclusions_stable, failure_modes=("experiment-traffic-leak", "experiment-assignment-mismatch"),
)

QUALITY: list[AssetQuality] = [
    AssetQuality(
        ASSET, "growth_daily", schema=EXPERIMENT_ASSIGNMENTS,
        checks=(
            # Exact repeats of a row (same arm and flag) are dropped by the asset; conflicting ones must fail.
            landing_contract("experiment_assignments", ASSET, SECTION,
                             same_rows=(*_KEY, "variant", "exclude_from_investor")),
            contract(EXPERIMENT_ASSIGNMENTS, "schema-drift", keys=_KEY,
                     allowed={"unit_type": ("account", "user"), "variant": ("control", "treatment")}),
            EXCLUSIONS_STABLE,
        ),
        metrics={"excluded_units": "count(*) FILTER (WHERE in_snapshot AND exclude_from_investor)",
                 "units_left": "count(*) FILTER (WHERE NOT in_snapshot)"},
    ),
]
