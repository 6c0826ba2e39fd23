"""One external asset per landing source (keys ``landing/<source>``).

pipeline_ops does not produce these files: upstream systems deliver them (see
docs/landing_zone.md). Declaring them makes lineage, ownership and (in the quality work) freshness
and arrival checks visible in the asset graph. Owners come from the pipeline that consumes the
source first.
"""

from __future__ import annotations

import dagster as dg

from pipeline_ops.asset_meta import pipeline_asset_args
from pipeline_ops.landing.contract import SOURCES
from pipeline_ops.partitions import daily_partitions

# The pipeline whose owners answer for a source's arrival.
SOURCE_PIPELINE = {
    "accounts": "growth_aggregate",
    "subscription_events": "growth_aggregate",
    "revenue": "profit_aggregate",
    "fx_rates": "profit_aggregate",
    "expenses": "profit_aggregate",
    "salaries": "profit_aggregate",
    "click_events": "engagement_aggregate",
    "experiment_assignments": "growth_daily",
}


def landing_key(source: str) -> dg.AssetKey:
    return dg.AssetKey(["landing", source])


def _spec(name: str) -> dg.AssetSpec:
    src = SOURCES[name]
    args = pipeline_asset_args(SOURCE_PIPELINE[name], kinds={src.file_format, "landing"})
    args["group_name"] = "landing"
    args["metadata"] = {
        **args["metadata"],
        "layout": f"<PIPELINE_OPS_LANDING>/{name}/date=YYYY-MM-DD/{src.file_glob}",
        "cadence": src.cadence,
        "key": ", ".join(src.key),
        "dagster/column_schema": dg.TableSchema(
            columns=[
                dg.TableColumn(c.name, c.dtype, description=c.description,
                               constraints=dg.TableColumnConstraints(nullable=c.nullable))
                for c in src.columns
            ]
        ),
    }
    return dg.AssetSpec(key=landing_key(name), description=src.description, partitions_def=daily_partitions(), **args)


ASSETS = [_spec(name) for name in SOURCES]
