"""Output schemas of the profit staging tables (revenue documents, recognised revenue and cost lines in USD)."""

from __future__ import annotations

from pipeline_ops.lake.schema import Field, OutputSchema

_V = Field("definition_version", "string", "profit definition version")

REVENUE_USD = OutputSchema(
    asset="stg_revenue_usd",
    grain="one row per invoice or refund document (deduplicated by invoice_id within its day)",
    fields=(
        Field("date", "date", "UTC day the document was issued (its landing folder)"),
        Field("invoice_id", "string", "document id"),
        Field("account_id", "string", "billed account"),
        Field("kind", "string", "'invoice' or 'refund'"),
        Field("issued_at", "timestamp", "when issued, UTC"),
        Field("amount", "float64", "amount as delivered (>= 0), in currency"),
        Field("currency", "string", "currency of amount"),
        Field("usd_per_unit", "float64", "the issue day's rate (USD/currency)"),
        Field("amount_usd", "float64", "signed USD: + invoice, - refund"),
        Field("service_start", "date", "first UTC day of the service period the document pays for or refunds (inclusive)"),
        Field("service_end", "date", "last UTC day of the service period (inclusive)"),
        Field("service_days", "int64", "days in the period: service_end - service_start + 1 (>= 1)"),
        Field("exclude_from_investor", "bool", "the account's experiment on the issue day is exclude_from_investor: the "
              "document stays out of investor revenue, billed and recognised, on every day it is recognised"),
        _V,
    ),
)

RECOGNISED_USD = OutputSchema(
    asset="stg_revenue_recognised",
    grain="one row per UTC day and account with revenue recognised that day (from documents issued D-31 .. D)",
    fields=(
        Field("date", "date", "UTC day the revenue is recognised (earned)"),
        Field("account_id", "string", "billed account"),
        Field("recognised_usd", "float64", "net revenue recognised that day: invoices - refunds, each amount_usd / service_days per day of its period, USD"),
        Field("investor_recognised_usd", "float64", "the part from documents not flagged exclude_from_investor, USD"),
        Field("recognised_refunds_usd", "float64", "the refunds' part of recognised_usd, as a positive number, USD"),
        Field("documents", "int64", "documents recognising revenue on the day"),
        Field("recognition_complete", "bool", "false when the day's look-back (D-31 .. D-1) reaches before the lake's revenue history: documents issued earlier are unknown, so recognised revenue is understated"),
        _V,
    ),
)

COSTS_USD = OutputSchema(
    asset="stg_costs_usd",
    grain="one row per cost line per UTC day: each expense line on its day; each salary row on every day of its month",
    fields=(
        Field("date", "date", "UTC day the cost counts on"),
        Field("source", "string", "'expense' or 'salary'"),
        Field("category", "string", "expense category, or the salary team"),
        Field("line_id", "string", "expense_id, or 'salary:<YYYY-MM>:<team>'"),
        Field("amount", "float64", "expense amount, or monthly salary / days in month, in currency"),
        Field("currency", "string", "currency of amount"),
        Field("amount_usd", "float64", "amount x the day's rate, USD"),
        _V,
    ),
)
