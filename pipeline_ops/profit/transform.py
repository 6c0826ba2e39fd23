"""Pure functions behind the profit staging assets (pandas, vectorised over every day of a run)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline_ops.landing.contract import MAX_SERVICE_DAYS_AHEAD
from pipeline_ops.staging.common import (
    DataContractError, attach_rate, check_folder_day, check_unique, day_str, folder_day,
)


def stage_revenue(raw: pd.DataFrame, rates: pd.DataFrame, accounts: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Documents deduplicated by invoice_id within their day (earliest issued_at kept), signed USD,
    with their service period (dates, both inclusive), its length in days, and the account's
    exclude_from_investor flag on the issue day (`accounts` is stg_account_daily of the same days)."""
    docs = raw.assign(date=folder_day(raw))
    check_folder_day(docs, "issued_at", "revenue")
    deduped = docs.sort_values("issued_at", kind="stable").drop_duplicates(["date", "invoice_id"], keep="first").copy()
    deduped["usd_per_unit"] = attach_rate(deduped, rates, "revenue")
    sign = deduped["kind"].map({"invoice": 1.0, "refund": -1.0})
    if sign.isna().any():
        row = deduped[sign.isna()].iloc[0]
        raise DataContractError(f"{row['_file']}: document {row['invoice_id']} has kind {row['kind']!r} (expected invoice or refund)")
    deduped["amount_usd"] = sign * deduped["amount"] * deduped["usd_per_unit"]
    _attach_service_period(deduped)
    deduped["exclude_from_investor"] = _issue_day_exclusion(deduped, accounts)
    return deduped.sort_values(["date", "invoice_id"]), {"duplicates_dropped": int(len(docs) - len(deduped))}


def _issue_day_exclusion(docs: pd.DataFrame, accounts: pd.DataFrame) -> pd.Series:
    """exclude_from_investor of each document's account on its issue day; an unknown account raises
    (its revenue would otherwise be lost, or counted for investors by mistake)."""
    flags = accounts.astype({"account_id": str}).set_index(["date", "account_id"])["exclude_from_investor"]
    index = pd.MultiIndex.from_arrays([docs["date"].astype("datetime64[ns]"), docs["account_id"].astype(str)])
    flag = pd.Series(flags.reindex(index).to_numpy(), index=docs.index)
    orphan = docs[flag.isna()]
    if len(orphan):
        row = orphan.iloc[0]
        raise DataContractError(
            f"{row['_file']}: {len(orphan)} document(s) bill accounts missing from that day's stg_account_daily "
            f"snapshot (first: {row['invoice_id']} for {row['account_id']}); their revenue would be lost."
        )
    return flag.astype(bool)


def _attach_service_period(docs: pd.DataFrame) -> None:
    """service_start/service_end as dates plus service_days; a period recognition cannot use raises.

    The period must not end before it starts, and must end at most MAX_SERVICE_DAYS_AHEAD days
    after the issue day (recognised revenue of a day looks back only that far).
    """
    for column in ("service_start", "service_end"):
        docs[column] = pd.to_datetime(docs[column]).astype("datetime64[ns]")
    docs["service_days"] = (docs["service_end"] - docs["service_start"]).dt.days + 1
    reversed_ = docs[docs["service_days"] < 1]
    too_long = docs[(docs["service_end"] - docs["date"]).dt.days > MAX_SERVICE_DAYS_AHEAD]
    for bad, rule in ((reversed_, "service_end before service_start"),
                      (too_long, f"service_end more than {MAX_SERVICE_DAYS_AHEAD} days after the issue day (the "
                                 "recognition look-back; a longer period, e.g. annual billing, needs a longer one)")):
        if len(bad):
            row = bad.iloc[0]
            raise DataContractError(
                f"{row['_file']}: {len(bad)} document(s) with {rule} (first: {row['invoice_id']} "
                f"{day_str(row['service_start'])}..{day_str(row['service_end'])}, issued {day_str(row['date'])})"
            )


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
