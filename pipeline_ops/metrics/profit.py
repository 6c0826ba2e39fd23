"""Profit metrics (definition version profit/1.0): unit-level (experiments) and daily aggregate (investors).

Money is USD as float64, converted per row at the rate of the row's own UTC day, never rounded
(round only for display). Revenue is net: invoices minus refunds issued that day.
"""

from __future__ import annotations

from pipeline_ops.lake.schema import Field, OutputSchema
from pipeline_ops.metrics.model import Metric

DEFINITION_VERSION = "profit/1.0"
UNIT = "profit_unit_level"
AGG = "profit_aggregate"
_EXCL = "accounts with exclude_from_investor on the day (their assignment in effect that day)"

METRICS = [
    Metric("revenue_usd", UNIT, "Net revenue billed to the account that day.",
           "sum of invoice amount_usd - sum of refund amount_usd issued that day (deduplicated by invoice_id)", unit="USD"),
    Metric("allocated_cost_usd", UNIT, "The account's share of the day's total cost, by licences.",
           "total_cost_usd(day) x account licences", "total licences of all active accounts that day (0 when none)", unit="USD"),
    Metric("profit_usd", UNIT, "What the account earned after its cost share.", "revenue_usd - allocated_cost_usd", unit="USD"),
    Metric("profit_per_licence_usd", UNIT, "Unit profit per seat.", "profit_usd", "licences (null when 0)", unit="USD/seat"),
    Metric("revenue_usd", AGG, "Net revenue of the day for investors.", "invoices - refunds issued that day, USD",
           unit="USD", exclusions=_EXCL),
    Metric("refunds_usd", AGG, "Refunds issued that day, as a positive number.", "sum of refund amount_usd", unit="USD", exclusions=_EXCL),
    Metric("expenses_usd", AGG, "Operating expenses booked that day.", "sum of expense amount_usd", unit="USD"),
    Metric("salaries_usd", AGG, "Payroll cost of the day.", "sum over teams of monthly amount / days in month, at the day's rate", unit="USD"),
    Metric("profit_usd", AGG, "Profit of the day.", "revenue_usd - expenses_usd - salaries_usd", unit="USD", exclusions=_EXCL + " (revenue only; costs are whole-company)"),
    Metric("profit_margin", AGG, "Share of revenue kept as profit.", "profit_usd", "revenue_usd (null when 0)", unit="ratio", exclusions=_EXCL),
    Metric("active_accounts", AGG, "Paying accounts at the end of the day.", "accounts with status active and licences > 0", unit="accounts", exclusions=_EXCL),
    Metric("licences", AGG, "Seats of the active accounts.", "sum of licences of active accounts", unit="seats", exclusions=_EXCL),
    Metric("profit_per_account_usd", AGG, "Profit per paying account.", "profit_usd", "active_accounts (null when 0)", unit="USD/account", exclusions=_EXCL),
    Metric("profit_per_licence_usd", AGG, "Profit per seat.", "profit_usd", "licences (null when 0)", unit="USD/seat", exclusions=_EXCL),
    Metric("excluded_revenue_usd", AGG, "Net revenue left out because of experiment exclusions (transparency).",
           "invoices - refunds of excluded accounts that day", unit="USD"),
]

_V = Field("definition_version", "string", "metric definition version, e.g. profit/1.0")

UNIT_LEVEL_SCHEMA = OutputSchema(
    asset=UNIT,
    grain="one row per UTC day per account active that day or with revenue documents that day",
    fields=(
        Field("date", "date", "UTC day"),
        Field("account_id", "string", "account"),
        Field("plan", "string", "plan at the end of the day"),
        Field("region", "string", "sales region"),
        Field("licences", "int64", "seats at the end of the day (0 once churned)"),
        Field("revenue_usd", "float64", "net revenue (invoices - refunds) issued that day, USD"),
        Field("allocated_cost_usd", "float64", "share of the day's total cost by licences, USD"),
        Field("profit_usd", "float64", "revenue_usd - allocated_cost_usd, USD"),
        Field("profit_per_licence_usd", "float64", "profit_usd / licences, USD/seat; null when licences = 0", nullable=True),
        Field("experiment_id", "string", "account experiment in effect that day; null when unassigned", nullable=True),
        Field("variant", "string", "'control' or 'treatment'; null when unassigned", nullable=True),
        Field("exclude_from_investor", "bool", "true when the account's experiment stays out of investor tables"),
        _V,
    ),
)

AGGREGATE_SCHEMA = OutputSchema(
    asset=AGG,
    grain="one row per UTC day",
    fields=(
        Field("date", "date", "UTC day"),
        Field("revenue_usd", "float64", "net revenue excluding exclude_from_investor accounts, USD"),
        Field("refunds_usd", "float64", "refunds (>= 0) excluding exclude_from_investor accounts, USD"),
        Field("expenses_usd", "float64", "operating expenses booked that day, USD"),
        Field("salaries_usd", "float64", "daily share of monthly payroll, USD"),
        Field("profit_usd", "float64", "revenue_usd - expenses_usd - salaries_usd, USD"),
        Field("profit_margin", "float64", "profit_usd / revenue_usd; null when revenue_usd = 0", nullable=True),
        Field("active_accounts", "int64", "active, non-excluded accounts"),
        Field("licences", "int64", "licences of active, non-excluded accounts"),
        Field("profit_per_account_usd", "float64", "profit_usd / active_accounts; null when 0", nullable=True),
        Field("profit_per_licence_usd", "float64", "profit_usd / licences; null when 0", nullable=True),
        Field("excluded_revenue_usd", "float64", "net revenue of excluded accounts (left out above), USD"),
        _V,
    ),
)

SCHEMAS = [UNIT_LEVEL_SCHEMA, AGGREGATE_SCHEMA]
