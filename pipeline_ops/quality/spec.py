"""What quality work an asset has: its checks and the profile metrics its checks read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pipeline_ops.lake.schema import OutputSchema
from pipeline_ops.quality.outcome import CheckDef
from pipeline_ops.quality.profile import Profile


@dataclass(frozen=True)
class AssetQuality:
    """The checks of one asset and its profile: `metrics` maps a metric name to a DuckDB aggregate
    over the staged partition (the table is `{t}`); row count, the null share of every nullable
    column and the columns' types are always profiled."""

    asset: str
    pipeline: str
    checks: tuple[CheckDef, ...]
    schema: OutputSchema | None = None
    metrics: Mapping[str, str] = field(default_factory=dict)

    def profile(self, ctx, partition: str) -> Profile:
        exprs = ["count(*)::DOUBLE AS rows"]
        if self.schema is not None:
            exprs += [f'avg(CASE WHEN "{f.name}" IS NULL THEN 1.0 ELSE 0.0 END) AS "null_share__{f.name}"'
                      for f in self.schema.fields if f.nullable]
        exprs += [f'({expr})::DOUBLE AS "{name}"' for name, expr in self.metrics.items()]
        row = ctx.rows(f"SELECT {', '.join(exprs)} FROM {{t}}", partition)[0]
        described = ctx.sql("DESCRIBE SELECT * FROM {t}", partition).fetchall()
        return Profile(
            metrics={k: (float("nan") if v is None else float(v)) for k, v in row.items()},
            schema={r[0]: r[1] for r in described},
        )
