"""Output schemas of the growth staging tables (accounts per day, subscription events in USD)."""

from __future__ import annotations

from pipeline_ops.lake.schema import Field, OutputSchema

_EXPERIMENT = (
    Field("experiment_id", "string", "account experiment in effect that day; null when unassigned", nullable=True),
    Field("variant", "string", "'control' or 'treatment'; null when unassigned", nullable=True),
    Field("exclude_from_investor", "bool", "true when the account stays out of investor tables that day (false when unassigned)"),
)
_V = Field("definition_version", "string", "growth definition version")

ACCOUNT_DAILY = OutputSchema(
    asset="stg_account_daily",
    grain="one row per UTC day per account in the end-of-day accounts snapshot (churned accounts included)",
    fields=(
        Field("date", "date", "UTC day of the snapshot"),
        Field("account_id", "string", "account"),
        Field("plan", "string", "plan at end of day"),
        Field("region", "string", "sales region"),
        Field("currency", "string", "billing currency"),
        Field("status", "string", "'active' or 'churned' at end of day"),
        Field("licences", "int64", "seats at end of day"),
        Field("mrr", "float64", "MRR in the billing currency (currency/month)"),
        Field("mrr_usd", "float64", "mrr x the day's rate (USD/month)"),
        Field("is_active", "bool", "status = 'active' and licences > 0"),
        *_EXPERIMENT,
        _V,
    ),
)

SUBSCRIPTION_EVENTS_USD = OutputSchema(
    asset="stg_subscription_events_usd",
    grain="one row per subscription event (deduplicated by event_id within its day)",
    fields=(
        Field("date", "date", "UTC day of the event (its landing folder)"),
        Field("event_id", "string", "event"),
        Field("account_id", "string", "account changed"),
        Field("event_type", "string", "new, upgrade, downgrade, licence_change, renewal or churn"),
        Field("event_ts", "timestamp", "when the change took effect, UTC"),
        Field("licences_before", "int64", "seats before"),
        Field("licences_after", "int64", "seats after"),
        Field("licence_delta", "int64", "licences_after - licences_before"),
        Field("currency", "string", "the account's billing currency"),
        Field("mrr_before_usd", "float64", "MRR before x the day's rate (USD/month)"),
        Field("mrr_after_usd", "float64", "MRR after x the day's rate (USD/month)"),
        Field("mrr_delta_usd", "float64", "(mrr_after - mrr_before) x the day's rate (USD/month)"),
        *_EXPERIMENT,
        _V,
    ),
)
