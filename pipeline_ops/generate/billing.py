"""Invoices and refunds: monthly billing in advance on each account's billing day, a month-end
billing run (enterprise and a good share of the rest), prorated invoices on expansions, a small
share of refunds (service credits, unused time on churn).

Every document carries the service period it pays for or refunds, `service_start` ..
`service_end` (UTC days, both inclusive). An account's billing period runs from its billing day
*b* (1-28) to the day before *b* of the next month; a month-end biller (billing_dom 0) pays on the
month's last day for the whole next calendar month, so its current period is the calendar month.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipeline_ops.generate.common import DAY_S, day_seconds, days_in_month, month_end, prefixed_ids, rng
from pipeline_ops.generate.company import Company
from pipeline_ops.landing.contract import CURRENCIES

BILLING_RUN_S = 2 * 3600  # the nightly billing run starts at 02:00 UTC
SERVICE_CREDIT_DAILY = 0.0008  # share of active accounts refunded part of a month on any day
CHURN_REFUND_SHARE = 0.3
_CURRENCIES = np.array(CURRENCIES, dtype=object)
_ONE_DAY = np.timedelta64(1, "D")


def current_period(day: dt.date, bdom: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first, last) day (datetime64[D], inclusive) of the billing period that contains `day`.

    billing_dom b in 1..28: from the latest day b on or before `day` to the day before the next
    day b; b = 0 (month-end billers): the calendar month of `day`.
    """
    first = np.datetime64(day.replace(day=1), "D")
    next_first = np.datetime64(month_end(day), "D") + _ONE_DAY
    prev_first = np.datetime64((day.replace(day=1) - dt.timedelta(days=1)).replace(day=1), "D")
    offset = (bdom - 1).astype("timedelta64[D]")
    started = day.day >= bdom
    start = np.where(bdom == 0, first, np.where(started, first + offset, prev_first + offset))
    end = np.where(bdom == 0, next_first, np.where(started, next_first + offset, first + offset)) - _ONE_DAY
    return start.astype("datetime64[D]"), end.astype("datetime64[D]")


def invoices(seed: int, day: dt.date, company: Company, events: pd.DataFrame) -> pd.DataFrame:
    """The day's invoices and refunds, from the end-of-day account state and the day's events."""
    gen = rng(seed, day, "revenue")
    d0, dom, dim = day_seconds(day), day.day, days_in_month(day)
    today = np.datetime64(day, "D")
    is_month_end = dom == dim
    mrr = company.mrr
    created_today = company.created_s >= d0
    month_end_biller = company.billing_dom == 0
    docs = _Docs()
    # 1. Scheduled billing in advance: billing day b covers b .. the day before next month's b;
    #    the month-end run covers the whole next calendar month.
    due = np.flatnonzero(company.active & (((company.billing_dom == dom) & ~created_today) | (month_end_biller & is_month_end)))
    start, end = current_period(day, company.billing_dom[due])
    next_month = np.datetime64(month_end(day), "D") + _ONE_DAY
    next_end = np.datetime64(month_end(month_end(day) + dt.timedelta(days=1)), "D")
    month_end_run = company.billing_dom[due] == 0
    docs.add(due, mrr[due], d0 + BILLING_RUN_S + np.arange(len(due)), False,
             np.where(month_end_run, next_month, start), np.where(month_end_run, next_end, end))
    # 2. Sign-ups: the first period now, from the sign-up day (month-end billers: the rest of this month, prorated).
    ev_idx, ev_ts = events["_idx"].to_numpy(), events["event_ts"].to_numpy().astype("datetime64[s]").astype(np.int64)
    ev_type = events["event_type"].to_numpy()
    mrr_b, mrr_a = events["mrr_before"].to_numpy(), events["mrr_after"].to_numpy()
    new = ev_type == "new"
    frac = np.where(month_end_biller[ev_idx[new]], (dim - dom + 1) / dim, 1.0)
    _, end = current_period(day, company.billing_dom[ev_idx[new]])
    docs.add(ev_idx[new], mrr_a[new] * frac, ev_ts[new] + 60, False, today, end)
    # 3. Expansions mid-cycle: prorate the extra MRR from today until the next billing day.
    grow = np.isin(ev_type, ("upgrade", "licence_change")) & (mrr_a > mrr_b)
    bdom = company.billing_dom[ev_idx[grow]]
    days_left = np.where(bdom == 0, dim - dom + 1, (bdom - dom) % dim)  # 0 on the billing day: billed in full
    _, end = current_period(day, bdom)
    docs.add(ev_idx[grow], (mrr_a[grow] - mrr_b[grow]) * days_left / dim, ev_ts[grow] + 300, False, today, end)
    # 4a. Refunds of unused time for some churns: the rest of the current period (churn day included),
    #     prorated; nothing is left on the billing day itself (that period was never billed).
    churn = np.flatnonzero(ev_type == "churn")
    churn = churn[gen.random(len(churn)) < CHURN_REFUND_SHARE]
    gen.uniform(0.1, 0.9, len(churn))  # drawn and unused: keeps the stream of the draws below as it was
    bdom = company.billing_dom[ev_idx[churn]]
    start, end = current_period(day, bdom)
    unused = ((end - today) // _ONE_DAY + 1) / ((end - start) // _ONE_DAY + 1)
    unused = np.where((bdom > 0) & (bdom == dom), 0.0, unused)
    docs.add(ev_idx[churn], mrr_b[churn] * unused, ev_ts[churn] + 3600, True, today, end)
    # 4b. Service credits for a few active accounts: part of the current period's fee, for that whole period.
    active = np.flatnonzero(company.active & ~created_today)
    credited = active[gen.random(len(active)) < SERVICE_CREDIT_DAILY]
    start, end = current_period(day, company.billing_dom[credited])
    docs.add(credited, mrr[credited] * gen.uniform(0.05, 0.5, len(credited)),
             d0 + gen.integers(8 * 3600, 20 * 3600, len(credited)), True, start, end)
    return docs.frame(day, d0, company)


class _Docs:
    """Documents collected column by column, turned into the landing frame at the end."""

    def __init__(self) -> None:
        self.cols: dict[str, list[np.ndarray]] = {k: [] for k in ("_idx", "amount", "issued", "refund", "start", "end")}

    def add(self, idx: np.ndarray, amount: np.ndarray, issued: np.ndarray, refund: bool, start, end) -> None:
        n = len(idx)
        for key, value in (("_idx", idx), ("amount", amount), ("issued", issued), ("refund", np.full(n, refund)),
                           ("start", np.broadcast_to(start, n)), ("end", np.broadcast_to(end, n))):
            self.cols[key].append(np.asarray(value))

    def frame(self, day: dt.date, d0: int, company: Company) -> pd.DataFrame:
        col = {k: np.concatenate(v) for k, v in self.cols.items()}
        amount = np.round(col["amount"], 2)
        keep = amount >= 0.01
        frame = pd.DataFrame({
            "_idx": col["_idx"][keep],
            "kind": np.where(col["refund"][keep], "refund", "invoice").astype(object),
            "issued_at": np.minimum(col["issued"][keep], d0 + DAY_S - 1).astype("datetime64[s]"),
            "amount": amount[keep],
            "service_start": col["start"][keep].astype("datetime64[D]"),
            "service_end": col["end"][keep].astype("datetime64[D]"),
        }).sort_values(["issued_at", "_idx", "kind"], kind="stable", ignore_index=True)
        frame.insert(0, "account_id", prefixed_ids("acc_", frame["_idx"].to_numpy() + 1, 6))
        frame["currency"] = _CURRENCIES[company.currency[frame["_idx"].to_numpy()]]
        prefix = np.where(frame["kind"] == "refund", f"ref_{day:%Y%m%d}_", f"inv_{day:%Y%m%d}_")
        frame.insert(0, "invoice_id", [f"{p}{i:06d}" for p, i in zip(prefix, range(len(frame)))])
        return frame
