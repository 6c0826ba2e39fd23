"""Investor monthly report: the month's profit, growth and engagement in one row.

The headline figures come from the three investor-facing daily outputs, so they inherit their
exclusions (experiment traffic flagged exclude_from_investor is already out). Revenue and margin
are recognised revenue (profit/2.0), with billed revenue beside them. The account section (seat
utilisation, revenue concentration) reads the account-level staging tables (recognised revenue
from stg_revenue_recognised) and applies the same exclusions itself; its revenue total must
agree with profit_aggregate's, or the report fails closed.
"""

from __future__ import annotations

from pipeline_ops.lake.schema import Field, OutputSchema
from pipeline_ops.metrics.model import Metric

DEFINITION_VERSION = "report/1.2"
TOP_ACCOUNTS = 10  # revenue concentration: share of the month's revenue from this many accounts
REVENUE_TOLERANCE_USD = 0.01  # account-level and daily revenue totals may differ by rounding only
ASSET = "investor_monthly_report"
_MONTH = "calendar month of UTC days"

METRICS = [
    Metric("revenue_usd", ASSET, "Net revenue recognised in the month (earned over service periods).", "sum of profit_aggregate.revenue_usd over the month's days", unit="USD", day_boundary=_MONTH),
    Metric("billed_revenue_usd", ASSET, "Net revenue billed in the month (invoices - refunds issued).", "sum of profit_aggregate.billed_revenue_usd over the month's days", unit="USD", day_boundary=_MONTH),
    Metric("profit_usd", ASSET, "Profit of the month.", "sum of profit_aggregate.profit_usd", unit="USD", day_boundary=_MONTH),
    Metric("profit_margin", ASSET, "Share of recognised revenue kept as profit.", "profit_usd", "revenue_usd (null when 0)", unit="ratio", day_boundary=_MONTH),
    Metric("recognition_complete", ASSET, "Whether the month's recognised revenue saw every document that earns in it.", "true when profit_aggregate.recognition_complete is true on every day of the month", unit="bool", day_boundary=_MONTH),
    Metric("active_accounts_end", ASSET, "Paying accounts on the month's last day.", "growth_aggregate.active_accounts on the last day", unit="accounts", day_boundary=_MONTH),
    Metric("net_new_accounts", ASSET, "Accounts won minus accounts lost.", "sum of growth_aggregate.net_new_accounts", unit="accounts", day_boundary=_MONTH),
    Metric("mrr_end_usd", ASSET, "MRR on the month's last day.", "growth_aggregate.mrr_usd on the last day", unit="USD/month", day_boundary=_MONTH),
    Metric(
        "mrr_growth_pct", ASSET, "MRR growth over the month.", "100 x sum of net_new_mrr_usd",
        "mrr_end_usd - sum of net_new_mrr_usd (null when 0)", unit="percent", day_boundary=_MONTH,
    ),
    Metric("avg_dau", ASSET, "Average daily active users.", "mean of engagement_aggregate.dau", unit="users", day_boundary=_MONTH),
    Metric("mau_end", ASSET, "Monthly active users (28-day window) on the last day.", "engagement_aggregate.mau on the last day", unit="users", day_boundary=_MONTH),
    Metric("stickiness", ASSET, "How much of the monthly audience comes back daily.", "avg_dau", "mau_end (null when 0)", unit="ratio", day_boundary=_MONTH),
    Metric("sessions_per_user", ASSET, "Average of the daily sessions per user.", "mean of engagement_aggregate.sessions_per_user (days with a value)", unit="sessions", day_boundary=_MONTH),
    Metric("d7_retention", ASSET, "Average 7-day return rate.", "mean of engagement_aggregate.d7_retention (days with a value)", unit="ratio", day_boundary=_MONTH),
    Metric(
        "seat_utilisation", ASSET, "Share of the seats sold that people actually use.",
        "distinct users active in the month (stg_user_activity_daily) of the accounts paying on the last day",
        "licences of those accounts on the last day (null when 0)", unit="ratio", day_boundary=_MONTH,
        exclusions="accounts and users flagged exclude_from_investor; accounts not active on the last day",
    ),
    Metric(
        "top_accounts_revenue_share", ASSET, f"Revenue concentration: how much of the month's revenue the {TOP_ACCOUNTS} largest accounts bring.",
        f"recognised revenue (stg_revenue_recognised) of the {TOP_ACCOUNTS} accounts with the most recognised revenue in the month",
        "recognised revenue of all accounts in the month (= revenue_usd; null when 0)", unit="ratio", day_boundary=_MONTH,
        exclusions="revenue of documents issued while the account's experiment was exclude_from_investor",
    ),
]

SCHEMA = OutputSchema(
    asset=ASSET,
    grain="one row per calendar month",
    fields=(
        Field("month", "string", "YYYY-MM"),
        Field("days_in_month", "int64", "days the month has; every one must be present upstream"),
        Field("revenue_usd", "float64", "net recognised revenue, USD"),
        Field("billed_revenue_usd", "float64", "net billed revenue (invoices - refunds issued), USD"),
        Field("expenses_usd", "float64", "operating expenses, USD"),
        Field("salaries_usd", "float64", "salary cost, USD"),
        Field("profit_usd", "float64", "recognised revenue - expenses - salaries, USD"),
        Field("profit_margin", "float64", "profit / recognised revenue", nullable=True),
        Field("active_accounts_end", "int64", "active accounts on the last day"),
        Field("new_accounts", "int64", "accounts won"),
        Field("churned_accounts", "int64", "accounts lost"),
        Field("net_new_accounts", "int64", "won - lost"),
        Field("licences_end", "int64", "licences on the last day"),
        Field("mrr_end_usd", "float64", "MRR on the last day, USD"),
        Field("net_new_mrr_usd", "float64", "sum of daily net new MRR, USD"),
        Field("mrr_growth_pct", "float64", "MRR growth over the month, percent", nullable=True),
        Field("avg_dau", "float64", "mean daily active users"),
        Field("mau_end", "int64", "28-day active users on the last day"),
        Field("stickiness", "float64", "avg_dau / mau_end", nullable=True),
        Field("sessions_per_user", "float64", "mean daily sessions per user", nullable=True),
        Field("time_in_app_min_per_user", "float64", "mean daily minutes in app per user", nullable=True),
        Field("d7_retention", "float64", "mean daily 7-day return rate", nullable=True),
        Field("seat_utilisation", "float64", "month's active users of paying accounts / their licences", nullable=True),
        Field("top_accounts_revenue_share", "float64", f"revenue share of the {TOP_ACCOUNTS} largest accounts", nullable=True),
        Field("recognition_complete", "bool", "false when a day of the month has incomplete recognised revenue (the lake's first month)"),
        Field("definition_version", "string", "report and upstream definition versions"),
    ),
)
