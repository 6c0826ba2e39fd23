"""Pure functions behind the profit staging assets (pandas, vectorised over every day of a run)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline_ops.staging.common import DataContractError, attach_rate, check_folder_day, check_unique, folder_day


def stage_revenue(raw: pd.DataFrame, rates: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Documents deduplicated by invoice_id within their day (earliest issued_at kept), signed USD."""
    docs = raw.assign(date=folder_day(raw))
    check_folder_day(docs, "issued_at", "revenue")
    deduped = docs.sort_values("issued_at", kind="stable").drop_duplicates(["date", "invoice_id"], keep="first").copy()
    deduped["usd_per_unit"] = attach_rate(deduped, rates, "revenue")
    sign = deduped["kind"].map({"invoice": 1.0, "refund": -1.0})
    if sign.isna().any():
        row = deduped[sign.isna()].iloc[0]
        raise DataContractError(f"{row['_file']}: document {row['invoice_id']} has kind {row['kind']!r} (expected invoice or refund)")
    deduped["amount_usd"] = sign * deduped["amount"] * deduped["usd_per_unit"]
    return deduped.sort_values(["date", "invoice_id"]), {"duplicates_dropped": int(len(docs) - len(deduped))}


def stage_costs(expenses: pd.DataFrame, salaries: pd.DataFrame, rates: pd.DataFrame, days: list[dt.date]) -> pd.DataFrame:
    """Expense lines on their day plus every salary row spread evenly over its month's days."""
    exp = expenses.assign(date=folder_day(expenses))
    check_folder_day(exp, "expense_date", "expenses")
    exp = exp.assign(source="expense", line_id=exp["expense_id"])
    check_unique(salaries, ["month", "team"], "salaries")
    day_index = pd.DataFrame({"date": pd.to_datetime([d.isoformat() for d in days]).astype("datetime64[ns]")})
    day_index["month"] = day_index["date"].dt.strftime("%Y-%m")
    sal = day_index.merge(salaries.astype({"month": "string"}).drop(columns="_file"), on="month", how="left")
    unpaid = sal[sal["team"].isna()]
    if len(unpaid):
        month = unpaid["month"].iloc[0]
        raise DataContractError(
            f"salaries/date={month}-01: no salary rows for month {month} (needed for day(s) "
            f"{sorted(set(unpaid['date'].dt.strftime('%Y-%m-%d')))[:3]}); payroll is never assumed to be 0."
        )
    days_in_month = sal["date"].dt.days_in_month
    sal = sal.assign(
        source="salary", category=sal["team"], amount=sal["amount"] / days_in_month,
        line_id="salary:" + sal["month"] + ":" + sal["team"].astype(str),
    )
    costs = pd.concat([exp, sal], ignore_index=True)[["date", "source", "category", "line_id", "amount", "currency"]]
    costs["amount_usd"] = costs["amount"] * attach_rate(costs, rates, "costs (expenses, salaries)")
    return costs.sort_values(["date", "source", "line_id"]).reset_index(drop=True)
