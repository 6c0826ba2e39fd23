"""Profit metrics (definition version profit/2.0): unit-level (experiments) and daily aggregate (investors).

Money is USD as float64, converted per document at the rate of its own issue day (costs: of the
cost line's day), never rounded (round only for display).

Two revenues, side by side since profit/2.0:

- **revenue_usd** (recognised, what profit and margin use): each invoice and refund spread
  ratably over its service period, service_start..service_end inclusive: amount_usd /
  service_days on every day of the period from its issue day on; the share of days already past
  when it is issued (a service credit for the current period) is recognised on the issue day. A
  refund is recognised negatively the same way. Day D reads the documents issued D-31..D
  (a period ends at most 31 days after its issue day). See profit/recognition.py.
- **billed_revenue_usd**: invoices minus refunds issued that day (the profit/1.0 revenue).

Investor exclusion follows the document: one issued while its account's experiment was
exclude_from_investor stays out of investor revenue on every day it is recognised.

recognition_complete is false on days whose 31-day look-back reaches before the lake's revenue
history (the later of processing.partitions_start and the earliest stg_revenue_usd partition):
documents issued earlier are unknown, so their recognised revenue is understated.
"""

from __future__ import annotations

from pipeline_ops.lake.schema import Field, OutputSchema
from pipeline_ops.metrics.model import Metric

DEFINITION_VERSION = "profit/2.0"
UNIT = "profit_unit_level"
AGG = "profit_aggregate"
_EXCL = "accounts with exclude_from_investor on the day (their assignment in effect that day)"
_EXCL_DOC = ("documents issued while their account was exclude_from_investor (its assignment in effect on the issue "
             "day), on every day they are recognised")
_EXCL_PER = f"profit: {_EXCL_DOC}; accounts and licences: {_EXCL}"
_RECOGNISED = ("sum over the account's invoices and refunds whose service period covers the day of amount_usd / "
               "service_days (from the issue day on; the issue day also takes the days of the period already past)")

METRICS = [
    Metric("revenue_usd", UNIT, "Net revenue the account earned (recognised) that day.", _RECOGNISED, unit="USD"),
    Metric("billed_revenue_usd", UNIT, "Net revenue billed to the account that day.",
           "sum of invoice amount_usd - sum of refund amount_usd issued that day (deduplicated by invoice_id)", unit="USD"),
    Metric("allocated_cost_usd", UNIT, "The account's share of the day's total cost, by licences.",
           "total_cost_usd(day) x account licences, where total_cost_usd(day) = expenses_usd + salaries_usd of the day "
           "(whole company): every expense line booked that day (expense_date = the day) plus each team's monthly "
           "salaries amount / days in that month, every line in USD at the day's rate of its currency; 0 for an "
           "account not active that day",
           "total licences of all active accounts that day, experiment-excluded ones included (so the day's "
           "allocations add up to total_cost_usd; allocated_cost_usd is 0 when this is 0)", unit="USD"),
    Metric("profit_usd", UNIT, "What the account earned after its cost share.", "revenue_usd - allocated_cost_usd", unit="USD"),
    Metric("profit_per_licence_usd", UNIT, "Unit profit per seat.", "profit_usd", "licences (null when 0)", unit="USD/seat"),
    Metric("revenue_usd", AGG, "Net revenue earned (recognised) that day, for investors.", _RECOGNISED,
           unit="USD", exclusions=_EXCL_DOC),
    Metric("billed_revenue_usd", AGG, "Net revenue billed that day (cash view, beside the recognised one).",
           "invoices - refunds issued that day, USD", unit="USD", exclusions=_EXCL),
    Metric("refunds_usd", AGG, "Refunds issued that day, as a positive number.", "sum of refund amount_usd", unit="USD", exclusions=_EXCL),
    Metric("expenses_usd", AGG, "Operating expenses booked that day.", "sum of expense amount_usd", unit="USD"),
    Metric("salaries_usd", AGG, "Payroll cost of the day.", "sum over teams of monthly amount / days in month, at the day's rate", unit="USD"),
    Metric("profit_usd", AGG, "Profit of the day.", "revenue_usd (recognised) - expenses_usd - salaries_usd", unit="USD", exclusions=_EXCL_DOC + " (revenue only; costs are whole-company)"),
    Metric("profit_margin", AGG, "Share of recognised revenue kept as profit.", "profit_usd", "revenue_usd (null when 0)", unit="ratio", exclusions=_EXCL_DOC),
    Metric("active_accounts", AGG, "Paying accounts at the end of the day.", "accounts with status active and licences > 0", unit="accounts", exclusions=_EXCL),
    Metric("licences", AGG, "Seats of the active accounts.", "sum of licences of active accounts", unit="seats", exclusions=_EXCL),
    Metric("profit_per_account_usd", AGG, "Profit per paying account.", "profit_usd", "active_accounts (null when 0)", unit="USD/account", exclusions=_EXCL_PER),
    Metric("profit_per_licence_usd", AGG, "Profit per seat.", "profit_usd", "licences (null when 0)", unit="USD/seat", exclusions=_EXCL_PER),
    Metric("excluded_revenue_usd", AGG, "Recognised revenue left out because of experiment exclusions (transparency).",
           "revenue recognised that day from " + _EXCL_DOC.split(" (")[0], unit="USD"),
    Metric("recognition_complete", AGG, "Whether revenue_usd can include every document that earns on the day.",
           "true when day - 31 >= the lake's revenue history start (later of processing.partitions_start and the earliest "
           "stg_revenue_usd partition); false: documents issued before the history are unknown, revenue understated",
           unit="bool"),
]

_V = Field("definition_version", "string", "metric definition version, e.g. profit/2.0")

UNIT_LEVEL_SCHEMA = OutputSchema(
    asset=UNIT,
    grain="one row per UTC day per account active that day, with revenue documents that day or recognising revenue that day",
    fields=(
        Field("date", "date", "UTC day"),
        Field("account_id", "string", "account"),
        Field("plan", "string", "plan at the end of the day"),
        Field("region", "string", "sales region"),
        Field("licences", "int64", "seats at the end of the day (0 once churned)"),
        Field("revenue_usd", "float64", "net revenue recognised that day (invoices - refunds spread over their service periods), USD"),
        Field("billed_revenue_usd", "float64", "net revenue (invoices - refunds) issued that day, USD"),
        Field("allocated_cost_usd", "float64", "share of the day's total cost by licences, USD"),
        Field("profit_usd", "float64", "revenue_usd - allocated_cost_usd, USD"),
        Field("profit_per_licence_usd", "float64", "profit_usd / licences, USD/seat; null when licences = 0", nullable=True),
        Field("experiment_id", "string", "account experiment in effect that day; null when unassigned", nullable=True),
        Field("variant", "string", "'control' or 'treatment'; null when unassigned", nullable=True),
        Field("exclude_from_investor", "bool", "true when the account's experiment stays out of investor tables"),
        Field("recognition_complete", "bool", "false when the day's recognition look-back reaches before the lake's revenue history"),
        _V,
    ),
)

AGGREGATE_SCHEMA = OutputSchema(
    asset=AGG,
    grain="one row per UTC day",
    fields=(
        Field("date", "date", "UTC day"),
        Field("revenue_usd", "float64", "net recognised revenue excluding documents of exclude_from_investor accounts, USD"),
        Field("billed_revenue_usd", "float64", "net revenue issued that day (invoices - refunds) excluding exclude_from_investor accounts, USD"),
        Field("refunds_usd", "float64", "refunds (>= 0) excluding exclude_from_investor accounts, USD"),
        Field("expenses_usd", "float64", "operating expenses booked that day, USD"),
        Field("salaries_usd", "float64", "daily share of monthly payroll, USD"),
        Field("profit_usd", "float64", "revenue_usd - expenses_usd - salaries_usd, USD"),
        Field("profit_margin", "float64", "profit_usd / revenue_usd; null when revenue_usd = 0", nullable=True),
        Field("active_accounts", "int64", "active, non-excluded accounts"),
        Field("licences", "int64", "licences of active, non-excluded accounts"),
        Field("profit_per_account_usd", "float64", "profit_usd / active_accounts; null when 0", nullable=True),
        Field("profit_per_licence_usd", "float64", "profit_usd / licences; null when 0", nullable=True),
        Field("excluded_revenue_usd", "float64", "net revenue recognised from documents of excluded accounts (left out above), USD"),
        Field("recognition_complete", "bool", "false when the day's recognition look-back reaches before the lake's revenue history"),
        _V,
    ),
)

SCHEMAS = [UNIT_LEVEL_SCHEMA, AGGREGATE_SCHEMA]
