"""Checks every asset can use: the output contract and a robust same-weekday volume baseline.

Each factory returns a `CheckDef`; pipelines register them in their `checks.py` next to checks of
their own. Thresholds come from `quality.defaults` / `quality.pipelines.<key>` in the config.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import polars as pl

from pipeline_ops.lake.schema import OutputSchema
from pipeline_ops.quality.audit import AuditContext
from pipeline_ops.quality.baseline import anomaly_level
from pipeline_ops.quality.contracts import Range, output_schema, validate
from pipeline_ops.quality.outcome import CheckDef, Outcome, passed


def lake_query(sql: str) -> str:
    """A command a person can paste to see the rows (double quotes in `sql` escaped)."""
    return 'pipeline-ops sql "' + " ".join(sql.split()).replace('"', '\\"') + '"'


def contract(
    schema: OutputSchema, section: str, keys: tuple[str, ...] = (), allowed: Mapping[str, tuple] = {},
    ranges: Mapping[str, Range] = {}, name: str = "contract", partition_column: str = "date",
) -> CheckDef:
    """Columns, dtypes, nullability, unique key, allowed values and ranges of the staged partition.

    `partition_column` is the column the folder name holds (`month` for monthly assets), absent from the files.
    """
    # Built on first evaluation, so loading the definitions imports no pandera.
    model = cache(lambda: output_schema(schema, keys, allowed, ranges, partition_column))
    rules = [f"key {list(keys)} unique"] if keys else []
    rules += [f"{c} in {list(v)}" for c, v in allowed.items()]
    rules += [f"{c} in [{r.ge}, {r.le}]" for c, r in ranges.items()]

    def evaluate(ctx: AuditContext, partition: str) -> Outcome:
        frame = pl.read_parquet(ctx.staged[partition])
        result = validate(model(), frame)
        bound = {"columns": [f.name for f in schema.fields if f.name != partition_column], "rules": rules}
        if result.ok:
            return passed(f"{frame.height} rows match the {schema.asset} contract", observed={"rows": frame.height}, bound=bound)
        return Outcome(
            "error", f"{result.failing_count} contract failure(s) in {frame.height} rows: "
            + "; ".join(f"{k} x{v}" for k, v in list(result.by_column_check.items())[:5]),
            observed={"rows": frame.height, "failures_by_column_check": result.by_column_check}, bound=bound,
            failing_count=result.failing_count, sample=result.sample,
            sql=lake_query(f"select * from {schema.asset} where {partition_column} = '{partition}' limit 100"),
        )

    return CheckDef(
        name, schema.asset, "contract",
        f"Every row of the partition matches the {schema.asset} contract: columns and types exactly as the "
        f"output schema, nulls only where it allows them; {'; '.join(rules) or 'no further rules'}. ERROR on the "
        "investor path (the partition is not published).",
        section, evaluate, failure_modes=("schema-drift",),
    )


def volume(
    asset: str, metric: str, section: str, name: str, what: str, failure_modes: tuple[str, ...],
    require_nonzero: bool = True,
) -> CheckDef:
    """`metric` of the partition against its same-weekday median/MAD, with two gates.

    Without enough history (fewer than baseline_min_points usable same weekdays) only the static
    bound applies: the metric must be > 0 when `require_nonzero`.
    """

    def evaluate(ctx: AuditContext, partition: str) -> Outcome:
        value = ctx.metric(metric, partition)
        base = ctx.baseline(metric, partition)
        t = ctx.thresholds
        bound = {"method": base.method, "points": base.points, "baseline_days": list(base.days),
                 "median": base.median, "mad": base.mad, "warn": f"|z| > {t.warn_z} and |change| > {t.warn_pct:.0%}",
                 "error": f"|z| > {t.error_z} and |change| > {t.error_pct:.0%}"}
        observed = {metric: value}
        if require_nonzero and not value > 0:
            return Outcome("error", f"{what} is {value:g} (expected > 0)", observed, bound, failing_count=1,
                           flag_metrics=(metric,))
        if base.median is None:
            return passed(f"{what} = {value:g}; only {base.points} usable same-weekday point(s), static bound only",
                          observed=observed, bound=bound)
        level = anomaly_level(base, value, ctx.gates)
        observed.update(z=round(base.z(value), 2) if abs(base.z(value)) != float("inf") else "inf",
                        change=round(base.pct(value), 4) if abs(base.pct(value)) != float("inf") else "inf")
        summary = f"{what} = {value:g} vs same-weekday median {base.median:g} ({base.pct(value):+.1%})"
        if level == "pass":
            return passed(summary, observed=observed, bound=bound)
        return Outcome(level, summary, observed, bound, failing_count=1, flag_metrics=(metric,))

    return CheckDef(
        name, asset, "drift",
        f"{what} against the median of the same weekday over the previous weeks (robust z with MAD, the day "
        "itself and flagged days left out); WARN when both |z| > warn_z and the change > warn_pct, ERROR beyond "
        "error_z and error_pct; with too little history only the static bound (> 0) applies.",
        section, evaluate, failure_modes=failure_modes,
    )
