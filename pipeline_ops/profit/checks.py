"""Quality checks of the profit assets (framework and severity policy: pipeline_ops/quality).

stg_revenue_usd, stg_costs_usd and profit_aggregate are on the investor path (an ERROR blocks the
partition and everything downstream); profit_unit_level is experiment-facing (errors are WARN and
it publishes). Runbook sections: runbooks/profit_aggregate.md and runbooks/profit_unit_level.md.

| asset | check | detects | bound |
|---|---|---|---|
| stg_revenue_usd | landing_revenue_contract | a revenue file unlike the contract or yesterday's | ERROR, before reading |
| | contract | staged documents: types, nulls, unique invoice_id, kind/currency, amount >= 0 | ERROR |
| | duplicate_documents | documents repeated under a new invoice_id | max_duplicate_rate 0.1 % |
| | accounts_billed_complete | accounts due (renewals, sign-ups) without an invoice | min_completeness 99.5 % |
| | revenue_volume | renewal invoices vs the MRR of the accounts due | warn_pct 10 % / error_pct 25 % |
| stg_costs_usd | landing_expenses_contract, landing_salaries_contract | cost files unlike the contract | ERROR |
| stg_revenue_recognised | contract | one row per account and day, refunds >= 0, documents >= 1 | ERROR |
| | contract | staged cost lines | ERROR |
| | cost_volume | payroll jumps; gross total-cost errors vs week and month calendar | see checks_costs.py |
| profit_unit_level | contract, cost_allocation_balanced | allocation no longer sums to the day's cost | WARN |
| profit_aggregate | contract | schema, one row per day | ERROR |
| | margin_variance | margin moves > 10 points vs previous day and same weekday, beyond its noise | see checks_margin.py |
| | ratios_defined | ratios NaN/inf, or not null exactly at a zero denominator | ERROR |
| | experiment_excluded | experiment traffic in investor figures | ERROR |
| | accuracy_drift | the day published 3 days ago, recomputed from landing now, differs | 0.5 pp / 0.5 %: ERROR on that day, never blocks |
"""

from __future__ import annotations

from dataclasses import replace

from pipeline_ops.landing.contract import CURRENCIES, EXPENSE_CATEGORIES, PLANS, REGIONS, SALARY_TEAMS
from pipeline_ops.metrics.profit import AGGREGATE_SCHEMA, UNIT_LEVEL_SCHEMA
from pipeline_ops.profit.accuracy import PROFIT_ACCURACY_DRIFT
from pipeline_ops.profit.checks_costs import COST_VOLUME
from pipeline_ops.profit.checks_margin import MARGIN_VARIANCE
from pipeline_ops.profit.checks_outputs import COST_ALLOCATION_BALANCED, EXPERIMENT_EXCLUDED, RATIOS_DEFINED
from pipeline_ops.profit.checks_revenue import ACCOUNTS_BILLED_COMPLETE, DUPLICATE_DOCUMENTS, REVENUE_VOLUME
from pipeline_ops.profit.schemas import COSTS_USD, RECOGNISED_USD, REVENUE_USD
from pipeline_ops.quality.audit import AuditContext
from pipeline_ops.quality.contracts import Range
from pipeline_ops.quality.generic import contract
from pipeline_ops.quality.landing import landing_contract
from pipeline_ops.quality.outcome import CheckDef, Outcome
from pipeline_ops.quality.spec import AssetQuality

SCHEMA_SECTION = "schema-drift"
_MONEY = Range(ge=0)
_KINDS = ("invoice", "refund")
_SAME_DOCUMENT = ("invoice_id", "account_id", "kind", "amount", "currency", "service_start", "service_end")


def _one_row_per_day(check: CheckDef) -> CheckDef:
    """The aggregate's contract plus its grain: exactly one row per day (two rows = a join fanned out)."""
    def evaluate(ctx: AuditContext, partition: str) -> Outcome:
        rows = int(ctx.metric("rows", partition))
        if rows != 1:
            return Outcome("error", f"{rows} rows for {partition} (the grain is one row per UTC day: a join fanned out "
                           "or the day was built twice)", {"rows": rows}, {"rows": 1}, failing_count=abs(rows - 1),
                           sample=ctx.rows("SELECT * FROM {t} LIMIT 20", partition))
        return check.evaluate(ctx, partition)

    return replace(check, evaluate=evaluate, description=check.description + " Exactly one row per day.")


_salaries = landing_contract("salaries", COSTS_USD.asset, "cost-allocation-change")
REVENUE = AssetQuality(
    REVENUE_USD.asset, "profit_aggregate", schema=REVENUE_USD,
    checks=(
        # Staging keeps the earliest row per invoice_id: a re-delivery (even re-stamped) is no break, two
        # versions of one document (another account, kind, amount, currency or period) are.
        landing_contract("revenue", REVENUE_USD.asset, SCHEMA_SECTION, same_rows=_SAME_DOCUMENT),
        contract(REVENUE_USD, SCHEMA_SECTION, keys=("invoice_id",), allowed={"kind": _KINDS, "currency": CURRENCIES},
                 ranges={"amount": _MONEY, "usd_per_unit": Range(ge=1e-9), "service_days": Range(ge=1)}),
        DUPLICATE_DOCUMENTS, ACCOUNTS_BILLED_COMPLETE, REVENUE_VOLUME,
    ),
    metrics={"invoice_usd": "coalesce(sum(amount_usd) FILTER (WHERE kind = 'invoice'), 0)",
             "refund_usd": "coalesce(sum(-amount_usd) FILTER (WHERE kind = 'refund'), 0)",
             "accounts": "count(DISTINCT account_id)"},
)
COSTS = AssetQuality(
    COSTS_USD.asset, "profit_aggregate", schema=COSTS_USD,
    checks=(
        landing_contract("expenses", COSTS_USD.asset, SCHEMA_SECTION),
        # A payroll file with a new or renamed team is a cost-allocation change first (salaries_new_team).
        replace(_salaries, failure_modes=(*_salaries.failure_modes, "cost-allocation-change")),
        contract(COSTS_USD, SCHEMA_SECTION, keys=("line_id",),
                 allowed={"source": ("expense", "salary"), "category": (*EXPENSE_CATEGORIES, *SALARY_TEAMS),
                          "currency": CURRENCIES},
                 ranges={"amount": _MONEY, "amount_usd": _MONEY}),
        COST_VOLUME,
    ),
    metrics={"total_cost_usd": "coalesce(sum(amount_usd), 0)",
             "expenses_usd": "coalesce(sum(amount_usd) FILTER (WHERE source = 'expense'), 0)",
             "salaries_usd": "coalesce(sum(amount_usd) FILTER (WHERE source = 'salary'), 0)",
             "expense_lines": "count(*) FILTER (WHERE source = 'expense')"},
)
RECOGNISED = AssetQuality(
    RECOGNISED_USD.asset, "profit_aggregate", schema=RECOGNISED_USD,
    checks=(
        # One row per account and day (two = the look-back read a day twice); refunds >= 0; the
        # investor part is what it is (a refund can make either negative), so no sign rule on them.
        contract(RECOGNISED_USD, SCHEMA_SECTION, keys=("account_id",),
                 ranges={"recognised_refunds_usd": _MONEY, "documents": Range(ge=1)}),
    ),
    metrics={"recognised_usd": "coalesce(sum(recognised_usd), 0)", "accounts": "count(*)"},
)
UNIT_LEVEL = AssetQuality(
    UNIT_LEVEL_SCHEMA.asset, "profit_unit_level", schema=UNIT_LEVEL_SCHEMA,
    checks=(
        contract(UNIT_LEVEL_SCHEMA, SCHEMA_SECTION, keys=("account_id",),
                 allowed={"plan": PLANS, "region": REGIONS, "variant": ("control", "treatment")},
                 ranges={"licences": Range(ge=0), "allocated_cost_usd": _MONEY}),
        COST_ALLOCATION_BALANCED,
    ),
    metrics={"allocated_cost_usd": "coalesce(sum(allocated_cost_usd), 0)", "revenue_usd": "coalesce(sum(revenue_usd), 0)"},
)
AGGREGATE = AssetQuality(
    AGGREGATE_SCHEMA.asset, "profit_aggregate", schema=AGGREGATE_SCHEMA,
    checks=(
        _one_row_per_day(contract(AGGREGATE_SCHEMA, SCHEMA_SECTION, ranges={
            "refunds_usd": _MONEY, "expenses_usd": _MONEY, "salaries_usd": _MONEY,
            "active_accounts": Range(ge=0), "licences": Range(ge=0)})),
        MARGIN_VARIANCE, RATIOS_DEFINED, EXPERIMENT_EXCLUDED, PROFIT_ACCURACY_DRIFT,
    ),
    metrics={"profit_margin": "max(profit_margin)", "recognition_complete": "min(recognition_complete::INTEGER)",
             "revenue_usd": "sum(revenue_usd)", "profit_usd": "sum(profit_usd)",
             "total_cost_usd": "sum(expenses_usd + salaries_usd)"},
)

QUALITY: list[AssetQuality] = [REVENUE, COSTS, RECOGNISED, UNIT_LEVEL, AGGREGATE]
