"""Hand-made staged and published partitions for the profit check tests.

`publish(lake, schema, rows)` writes rows into the lake exactly as an asset does (conformed to the
output schema, one folder per day) and records their profiles, so they serve as inputs and history.
`audit_rows(lake, schema, rows, check)` stages rows without publishing them, runs one check of the
asset over every staged day in date order (like a single-run backfill) and returns its outcomes
by day; the staging area is removed afterwards, the lake is left as it was.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline_ops.config import current_config
from pipeline_ops.lake.publish import split_by_partition
from pipeline_ops.lake.schema import OutputSchema
from pipeline_ops.lake.storage import Lake
from pipeline_ops.quality.audit import AuditContext, audit
from pipeline_ops.quality.outcome import Outcome, verdict
from pipeline_ops.quality.profile import write_profile
from pipeline_ops.quality.registry import quality_of
from pipeline_ops.quality.wap import staged_files


def _stage(lake: Lake, schema: OutputSchema, rows: list[dict]):
    frame = schema.conform(pd.DataFrame(rows))
    days = sorted({d.strftime("%Y-%m-%d") for d in frame["date"]})
    staged = lake.stage_frames(schema.asset, split_by_partition(frame, days))
    return staged, staged_files(lake, staged)


def publish(lake: Lake, schema: OutputSchema, rows: list[dict]) -> None:
    staged, files = _stage(lake, schema, rows)
    aq = quality_of(schema.asset)
    if aq is not None:
        ctx = AuditContext(lake, schema.asset, aq.pipeline, files, current_config())
        for p in ctx.partitions:
            ctx.profiles[p] = aq.profile(ctx, p)
            write_profile(lake, schema.asset, p, ctx.profiles[p], "test")
    lake.commit(staged)


def audit_rows(lake: Lake, schema: OutputSchema, rows: list[dict], check: str) -> dict[str, Outcome]:
    staged, files = _stage(lake, schema, rows)
    aq = quality_of(schema.asset)
    try:
        ctx = AuditContext(lake, schema.asset, aq.pipeline, files, current_config())
        results = audit(ctx, [c for c in aq.checks if c.name == check], aq.profile)
    finally:
        lake.abort(staged)
    assert results, f"{schema.asset} has no check {check!r}"
    return {r.partition: r.outcome for r in results}


def severity(asset: str, check: str, outcome: Outcome) -> tuple[bool, str, bool]:
    """(passed, severity, blocks) as Dagster records the outcome (the severity policy applied)."""
    c = next(c for c in quality_of(asset).checks if c.name == check)
    v = verdict(c, outcome)
    return v.passed, v.severity, v.blocks


def day(s: str, days: int = 0) -> str:
    return (dt.date.fromisoformat(s) + dt.timedelta(days=days)).isoformat()


def doc(date: str, invoice_id: str, account: str, amount: float, start: str, end: str, kind: str = "invoice",
        currency: str = "USD", rate: float = 1.0, hour: int = 2, excluded: bool = False) -> dict:
    """A stg_revenue_usd row (signed USD amount from kind)."""
    return {"date": date, "invoice_id": invoice_id, "account_id": account, "kind": kind,
            "issued_at": f"{date}T{hour:02d}:00:00Z", "amount": amount, "currency": currency, "usd_per_unit": rate,
            "amount_usd": (1 if kind == "invoice" else -1) * amount * rate, "service_start": start, "service_end": end,
            "service_days": (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days + 1,
            "exclude_from_investor": excluded, "definition_version": "profit/2.0"}


def account(date: str, account_id: str, mrr: float = 100.0, licences: int = 10, active: bool = True,
            excluded: bool = False) -> dict:
    """A stg_account_daily row (USD account)."""
    return {"date": date, "account_id": account_id, "plan": "growth", "region": "NA", "currency": "USD",
            "status": "active" if active else "churned", "licences": licences if active else 0,
            "mrr": mrr if active else 0.0, "mrr_usd": mrr if active else 0.0, "is_active": active and licences > 0,
            "experiment_id": "exp_pricing" if excluded else None, "variant": "treatment" if excluded else None,
            "exclude_from_investor": excluded, "definition_version": "growth/1.0"}


def cost(date: str, line_id: str, amount: float, source: str = "expense", category: str = "software") -> dict:
    """A stg_costs_usd row in USD."""
    return {"date": date, "source": source, "category": category if source == "expense" else "engineering",
            "line_id": line_id, "amount": amount, "currency": "USD", "amount_usd": amount, "definition_version": "profit/2.0"}


def aggregate(date: str, revenue: float, expenses: float, salaries: float, active_accounts: int = 2, licences: int = 18,
              billed: float = 0.0, refunds: float = 0.0, excluded: float = 0.0, complete: bool = True, **override) -> dict:
    """A profit_aggregate row with its ratios computed as the asset does (override any column)."""
    profit = revenue - expenses - salaries
    row = {"date": date, "revenue_usd": revenue, "billed_revenue_usd": billed, "refunds_usd": refunds,
           "expenses_usd": expenses, "salaries_usd": salaries, "profit_usd": profit,
           "profit_margin": None if revenue == 0 else profit / revenue, "active_accounts": active_accounts,
           "licences": licences, "profit_per_account_usd": None if active_accounts == 0 else profit / active_accounts,
           "profit_per_licence_usd": None if licences == 0 else profit / licences, "excluded_revenue_usd": excluded,
           "recognition_complete": complete, "definition_version": "profit/2.0"}
    return row | override


def unit(date: str, account_id: str, licences: int, allocated: float, revenue: float = 0.0, excluded: bool = False) -> dict:
    """A profit_unit_level row."""
    return {"date": date, "account_id": account_id, "plan": "growth", "region": "NA", "licences": licences,
            "revenue_usd": revenue, "billed_revenue_usd": 0.0, "allocated_cost_usd": allocated,
            "profit_usd": revenue - allocated, "profit_per_licence_usd": None if licences == 0 else (revenue - allocated) / licences,
            "experiment_id": "exp_pricing" if excluded else None, "variant": "treatment" if excluded else None,
            "exclude_from_investor": excluded, "recognition_complete": True, "definition_version": "profit/2.0"}


def recognised(date: str, account_id: str, amount: float, investor: float | None = None) -> dict:
    """A stg_revenue_recognised row."""
    return {"date": date, "account_id": account_id, "recognised_usd": amount,
            "investor_recognised_usd": amount if investor is None else investor, "recognised_refunds_usd": 0.0,
            "documents": 1, "recognition_complete": True, "definition_version": "profit/2.0"}
