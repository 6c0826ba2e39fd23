"""Faults of the profit sources: FX rates, revenue documents, expenses, salaries.

Revenue faults only use `account_id`, the id column and `amount`, so they stay valid whatever
other columns the revenue contract gains (the service period, for instance).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipeline_ops.generate import finance
from pipeline_ops.generate.common import days_in_month
from pipeline_ops.generate.faults.base import Fault, FaultContext, Frames, fresh_ids, pick, with_rows

COST_SPIKE_SHARE = 0.12  # of the day's total cost (expenses + the day's payroll share), in USD
RESTATED_REVENUE_FACTOR = 1.5
NEW_TEAM = "data_platform"  # not a contract team: SALARY_TEAMS does not list it


def _fx_misaligned_by_a_day(frames: Frames, ctx: FaultContext) -> Frames:
    fx = frames.get("fx_rates")
    if fx is None:
        return frames
    return {**frames, "fx_rates": fx.assign(rate_date=(ctx.day - dt.timedelta(days=1)).isoformat())}


def _fx_missing_currency(frames: Frames, ctx: FaultContext) -> Frames:
    fx = frames.get("fx_rates")
    if fx is None:
        return frames
    return {**frames, "fx_rates": fx[fx["currency"] != "EUR"].reset_index(drop=True)}


def _revenue_missing_accounts(frames: Frames, ctx: FaultContext) -> Frames:
    docs = frames.get("revenue")
    if docs is None or docs.empty:
        return frames
    accounts = np.array(sorted(set(docs["account_id"])), dtype=object)
    lost = set(accounts[pick(len(accounts), 0.30, ctx.rng("revenue_missing_accounts"))])
    return {**frames, "revenue": docs[~docs["account_id"].isin(lost)].reset_index(drop=True)}


def _revenue_duplicate_new_ids(frames: Frames, ctx: FaultContext) -> Frames:
    docs = frames.get("revenue")
    if docs is None or docs.empty:
        return frames
    copies = docs.iloc[pick(len(docs), 0.05, ctx.rng("revenue_duplicate_new_ids"))].copy()
    copies["invoice_id"] = fresh_ids(docs["invoice_id"], len(copies))
    return {**frames, "revenue": with_rows(docs, copies)}


def _revenue_restated(frames: Frames, ctx: FaultContext) -> Frames:
    docs = frames.get("revenue")
    if docs is None or docs.empty:
        return frames
    return {**frames, "revenue": docs.assign(amount=np.round(docs["amount"].to_numpy(float) * RESTATED_REVENUE_FACTOR, 2))}


def _usd(amount: pd.Series, currency: pd.Series, fx: pd.DataFrame | None) -> float:
    rates = dict(zip(fx["currency"], fx["usd_per_unit"])) if fx is not None else finance.FX_BASE
    return float((amount.to_numpy(float) * currency.map(rates).to_numpy(float)).sum())


def _cost_spike(frames: Frames, ctx: FaultContext) -> Frames:
    expenses = frames.get("expenses")
    if expenses is None or expenses.empty or ctx.start is None:
        return frames
    fx = frames.get("fx_rates")
    payroll = finance.salaries(ctx.seed, ctx.day.replace(day=1), ctx.start, ctx.scale)
    payroll_day = _usd(payroll["amount"], payroll["currency"], fx) / days_in_month(ctx.day)
    booked = _usd(expenses["amount"], expenses["currency"], fx)
    factor = 1 + COST_SPIKE_SHARE * (booked + payroll_day) / booked
    return {**frames, "expenses": expenses.assign(amount=np.round(expenses["amount"].to_numpy(float) * factor, 2))}


def _expenses_in_minor_units(frames: Frames, ctx: FaultContext) -> Frames:
    expenses = frames.get("expenses")
    if expenses is None or expenses.empty:
        return frames
    return {**frames, "expenses": expenses.assign(amount=np.round(expenses["amount"].to_numpy(float) * 100, 2))}


def _salaries_new_team(frames: Frames, ctx: FaultContext) -> Frames:
    if "salaries" not in ctx.sources or ctx.start is None:
        return frames
    month_first = ctx.day.replace(day=1)
    payroll = frames.get("salaries")
    payroll = finance.salaries(ctx.seed, month_first, ctx.start, ctx.scale) if payroll is None else payroll
    heads = max(1, round(3 * ctx.scale))
    team = pd.DataFrame([(f"{month_first:%Y-%m}", NEW_TEAM, heads, round(heads * 10_500.0, 2), "USD")],
                        columns=["month", "team", "headcount", "amount", "currency"])
    return {**frames, "salaries": with_rows(payroll, team)}


_P = "profit_aggregate"
FAULTS = [
    Fault("fx_misaligned_by_a_day", "the day's FX file is dated the day before (rate_date = D-1 in the folder of D): "
          "a feed shifted by a day", ("fx_rates",), _fx_misaligned_by_a_day,
          failure_mode="fx-rate-missing-or-misaligned", runbook=_P, detected_by=("stg_fx_rates.fx_rates_complete",)),
    Fault("fx_missing_currency", "the EUR row is missing from the day's FX file", ("fx_rates",), _fx_missing_currency,
          failure_mode="fx-rate-missing-or-misaligned", runbook=_P, detected_by=("stg_fx_rates.fx_rates_complete",)),
    Fault("revenue_missing_accounts", "every document of 30 % of the accounts billed that day (at least one account) "
          "is missing from the revenue file: an export that lost a slice of accounts", ("revenue",),
          _revenue_missing_accounts, failure_mode="completeness-drop", runbook=_P,
          detected_by=("stg_revenue_usd.accounts_billed_complete",), may_also_fail=("stg_revenue_usd.revenue_volume",)),
    Fault("revenue_duplicate_new_ids", "5 % of the day's documents (at least one) are issued a second time under a new "
          "invoice_id (same account, kind, time, amount and period): a re-run billing export", ("revenue",),
          _revenue_duplicate_new_ids, failure_mode="duplicate-records", runbook=_P,
          detected_by=("stg_revenue_usd.duplicate_documents",), may_also_fail=("stg_revenue_usd.revenue_volume",)),
    Fault("revenue_restated", f"the day's revenue file is re-delivered later with every amount x{RESTATED_REVENUE_FACTOR:g} "
          "(a corrected export after the day was published); caught when the day is recomputed 3 days later",
          ("revenue",), _revenue_restated, failure_mode="accuracy-drift", runbook=_P,
          detected_by=("profit_aggregate.accuracy_drift",), lag_days=3),
    Fault("cost_spike", f"every expense line of the day is booked higher by one factor, so the day's total cost "
          f"(expenses + the day's share of the month's payroll, in USD) is {COST_SPIKE_SHARE:.0%} higher: a data error "
          "that looks like a business event", ("expenses",), _cost_spike, failure_mode="profit-margin-variance",
          runbook=_P, reads=("fx_rates",),
          limit="inside the day-to-day noise of costs (robust CV of weekday expense totals ~108 % at scale 0.1, 41 % "
                "at 1, 13 % at 10; the margin moves a few points at scale 1): margin_variance and cost_volume do not "
                "claim it, and must not fire on it either"),
    Fault("expenses_in_minor_units", "the day's expense amounts arrive in minor units (cents: x100), a silent "
          "change of unit that still parses", ("expenses",), _expenses_in_minor_units,
          failure_mode="profit-margin-variance", runbook=_P, detected_by=("stg_costs_usd.cost_volume",),
          may_also_fail=("profit_aggregate.margin_variance",)),
    Fault("salaries_new_team", f"the month's payroll file is re-delivered mid-month with an extra team {NEW_TEAM!r} "
          "(not a contract team): a cost-allocation change upstream", ("salaries",), _salaries_new_team,
          failure_mode="cost-allocation-change", runbook=_P, detected_by=("stg_costs_usd.landing_salaries_contract",)),
]
