"""Output schemas of the shared staging tables (FX rates, experiment assignments)."""

from __future__ import annotations

from pipeline_ops.lake.schema import Field, OutputSchema

DEFINITION_VERSION = "staging/1.0"

FX_RATES = OutputSchema(
    asset="stg_fx_rates",
    grain="one row per UTC day per currency",
    fields=(
        Field("date", "date", "UTC day the rate applies to (the landing folder day)"),
        Field("currency", "string", "ISO 4217 code; every currency of the landing contract is present"),
        Field("usd_per_unit", "float64", "US dollars per one unit of the currency, > 0 (USD/currency)"),
        Field("definition_version", "string", "staging definition version"),
    ),
)

EXPERIMENT_ASSIGNMENTS = OutputSchema(
    asset="stg_experiment_assignments",
    grain="one row per UTC day per (experiment_id, unit_type, unit_id); a unit is in at most one experiment per unit_type",
    fields=(
        Field("date", "date", "UTC day the assignment was in effect"),
        Field("experiment_id", "string", "experiment identifier"),
        Field("unit_type", "string", "'account' or 'user'"),
        Field("unit_id", "string", "account_id or user_id"),
        Field("variant", "string", "'control' or 'treatment'"),
        Field("assigned_at", "timestamp", "when the unit entered the experiment, UTC"),
        Field("exclude_from_investor", "bool", "true when the unit's numbers must stay out of investor tables"),
        Field("in_snapshot", "bool", "true: in the day's end-of-day snapshot; false: in the previous day's snapshot "
              "only, i.e. the unit left the experiment during the day (typically by churning)"),
        Field("definition_version", "string", "staging definition version"),
    ),
)
