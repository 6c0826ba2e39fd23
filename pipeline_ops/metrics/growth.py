"""Growth metrics (definition version growth/1.0): per experiment arm (experiments) and daily (investors).

Counts come from subscription events of the UTC day (deduplicated by event_id); stocks (active
accounts, licences, MRR) from the end-of-day accounts snapshot. Money is USD as float64 at the
rate of the event's / snapshot's own day, never rounded. MRR is a monthly amount (USD/month).
"""

from __future__ import annotations

from pipeline_ops.lake.schema import Field, OutputSchema
from pipeline_ops.metrics.model import Metric

DEFINITION_VERSION = "growth/1.0"
DAILY = "growth_daily"
AGG = "growth_aggregate"
_EXCL = "accounts with exclude_from_investor on the day (their assignment in effect that day)"
_ARM = "per (experiment_id, variant); unassigned accounts in the row experiment_id = variant = 'none'"
# FX: flows at the rate of the event's own UTC day, stocks at the snapshot day's (growth/transform.py, attach_rate).
_EV_RATE = "x usd_per_unit of the event's currency on the event's own UTC day (the day of event_ts, = its folder day)"
_SNAP_RATE = "x usd_per_unit of the account's currency on the snapshot day"

_COMMON = [
    ("new_accounts", "Accounts won that day.", "count of 'new' events", "accounts"),
    ("churned_accounts", "Accounts lost that day.", "count of 'churn' events", "accounts"),
    ("net_new_accounts", "Accounts won minus lost.", "new_accounts - churned_accounts", "accounts"),
    ("net_licence_adds", "Seats added minus seats removed.", "sum of licences_after - licences_before over all events", "seats"),
    ("active_accounts", "Paying accounts at the end of the day.", "accounts with status active and licences > 0", "accounts"),
    ("licences", "Seats of the active accounts.", "sum of licences of active accounts", "seats"),
    ("mrr_usd", "Monthly recurring revenue at the end of the day.", f"sum of active accounts' mrr {_SNAP_RATE}", "USD/month"),
    ("net_new_mrr_usd", "Change in MRR from the day's events.", f"sum of (mrr_after - mrr_before) {_EV_RATE}, over all events", "USD/month"),
]
_DAILY_ONLY = [
    ("new_mrr_usd", "MRR won with new accounts.", f"sum of (mrr_after - mrr_before) {_EV_RATE}, over 'new' events", "USD/month"),
    ("expansion_mrr_usd", "MRR added by existing accounts.", "sum of positive (mrr_after - mrr_before) x the event's-day rate of upgrade, licence_change, renewal events", "USD/month"),
    ("contraction_mrr_usd", "MRR lost by existing accounts, as a positive number.",
     "- sum of negative (mrr_after - mrr_before) x the event's-day rate of downgrade, licence_change, renewal events", "USD/month"),
    ("churned_mrr_usd", "MRR lost with churned accounts, as a positive number.", "sum of mrr_before x the event's-day rate of 'churn' events", "USD/month"),
]

METRICS = [
    *[Metric(n, DAILY, d, num, unit=u, exclusions="none (all accounts); " + _ARM) for n, d, num, u in _COMMON + _DAILY_ONLY],
    *[Metric(n, AGG, d, num, unit=u, exclusions=_EXCL) for n, d, num, u in _COMMON],
    Metric("mrr_growth_pct", AGG, "MRR growth of the day.", "100 x net_new_mrr_usd",
           "mrr_usd - net_new_mrr_usd (start-of-day MRR, both at the day's rates; null when 0)", unit="percent", exclusions=_EXCL),
]

_V = Field("definition_version", "string", "metric definition version, e.g. growth/1.0")
_COUNTS = (
    Field("new_accounts", "int64", "count of 'new' events"),
    Field("churned_accounts", "int64", "count of 'churn' events"),
    Field("net_new_accounts", "int64", "new_accounts - churned_accounts"),
    Field("net_licence_adds", "int64", "sum of licence deltas of the day's events, seats"),
)
_STOCKS = (
    Field("active_accounts", "int64", "active accounts (status active, licences > 0) at end of day"),
    Field("licences", "int64", "licences of active accounts at end of day, seats"),
    Field("mrr_usd", "float64", "end-of-day MRR of active accounts, USD/month"),
)

DAILY_SCHEMA = OutputSchema(
    asset=DAILY,
    grain="one row per UTC day per (experiment_id, variant), plus ('none', 'none') for unassigned accounts",
    fields=(
        Field("date", "date", "UTC day"),
        Field("experiment_id", "string", "account experiment, or 'none'"),
        Field("variant", "string", "'control', 'treatment', or 'none'"),
        *_COUNTS,
        Field("new_mrr_usd", "float64", "MRR of new accounts, USD/month"),
        Field("expansion_mrr_usd", "float64", "positive deltas of upgrade/licence_change/renewal, USD/month"),
        Field("contraction_mrr_usd", "float64", "negative deltas of downgrade/licence_change/renewal, as >= 0, USD/month"),
        Field("churned_mrr_usd", "float64", "mrr_before of churn events, USD/month"),
        Field("net_new_mrr_usd", "float64", "sum of all events' MRR deltas, USD/month"),
        *_STOCKS,
        _V,
    ),
)

AGGREGATE_SCHEMA = OutputSchema(
    asset=AGG,
    grain="one row per UTC day",
    fields=(
        Field("date", "date", "UTC day"),
        *_COUNTS,
        *_STOCKS,
        Field("net_new_mrr_usd", "float64", "sum of the day's events' MRR deltas, USD/month"),
        Field("mrr_growth_pct", "float64", "100 x net_new_mrr_usd / (mrr_usd - net_new_mrr_usd); null when 0", nullable=True),
        _V,
    ),
)

SCHEMAS = [DAILY_SCHEMA, AGGREGATE_SCHEMA]
