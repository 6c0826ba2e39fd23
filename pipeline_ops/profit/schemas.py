"""Output schemas of the profit staging tables (revenue documents and cost lines in USD)."""

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
