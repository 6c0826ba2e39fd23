"""Invoices and refunds: monthly billing in advance on each account's billing day, a month-end
billing run (enterprise and a good share of the rest), prorated invoices on expansions, a small
share of refunds (service credits, unused time on churn)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipeline_ops.generate.common import DAY_S, day_seconds, days_in_month, prefixed_ids, rng
from pipeline_ops.generate.company import Company
from pipeline_ops.landing.contract import CURRENCIES

BILLING_RUN_S = 2 * 3600  # the nightly billing run starts at 02:00 UTC
SERVICE_CREDIT_DAILY = 0.0008  # share of active accounts refunded part of a month on any day
CHURN_REFUND_SHARE = 0.3
_CURRENCIES = np.array(CURRENCIES, dtype=object)


def invoices(seed: int, day: dt.date, company: Company, events: pd.DataFrame) -> pd.DataFrame:
    """The day's invoices and refunds, from the end-of-day account state and the day's events."""
    gen = rng(seed, day, "revenue")
    d0, dom, dim = day_seconds(day), day.day, days_in_month(day)
    is_month_end = dom == dim
    mrr = company.mrr
    created_today = company.created_s >= d0
    month_end_biller = company.billing_dom == 0
    # 1. Scheduled billing: the full month in advance on the billing day.
    due = company.active & (((company.billing_dom == dom) & ~created_today) | (month_end_biller & is_month_end))
    acc = [np.flatnonzero(due)]
    amount = [mrr[acc[0]]]
    issued = [d0 + BILLING_RUN_S + np.arange(len(acc[0]))]
    kind = [np.zeros(len(acc[0]), dtype=bool)]  # False = invoice, True = refund
    # 2. Sign-ups: the first month now (month-end billers: the rest of this month, prorated).
    ev_idx, ev_ts = events["_idx"].to_numpy(), events["event_ts"].to_numpy().astype("datetime64[s]").astype(np.int64)
    ev_type = events["event_type"].to_numpy()
    mrr_b, mrr_a = events["mrr_before"].to_numpy(), events["mrr_after"].to_numpy()
    new = ev_type == "new"
    frac = np.where(month_end_biller[ev_idx[new]], (dim - dom + 1) / dim, 1.0)
    _add(acc, amount, issued, kind, ev_idx[new], mrr_a[new] * frac, ev_ts[new] + 60, False)
    # 3. Expansions mid-cycle: prorate the extra MRR until the next billing day.
    grow = np.isin(ev_type, ("upgrade", "licence_change")) & (mrr_a > mrr_b)
    bdom = company.billing_dom[ev_idx[grow]]
    days_left = np.where(bdom == 0, dim - dom + 1, (bdom - dom) % dim)
    _add(acc, amount, issued, kind, ev_idx[grow], (mrr_a[grow] - mrr_b[grow]) * days_left / dim, ev_ts[grow] + 300, False)
    # 4. Refunds: unused time for some churns, service credits for a few active accounts.
    churn = np.flatnonzero(ev_type == "churn")
    churn = churn[gen.random(len(churn)) < CHURN_REFUND_SHARE]
    _add(acc, amount, issued, kind, ev_idx[churn], mrr_b[churn] * gen.uniform(0.1, 0.9, len(churn)), ev_ts[churn] + 3600, True)
    active = np.flatnonzero(company.active & ~created_today)
    credited = active[gen.random(len(active)) < SERVICE_CREDIT_DAILY]
    _add(acc, amount, issued, kind, credited, mrr[credited] * gen.uniform(0.05, 0.5, len(credited)),
         d0 + gen.integers(8 * 3600, 20 * 3600, len(credited)), True)

    acc_all, amount_all = np.concatenate(acc), np.round(np.concatenate(amount), 2)
    keep = amount_all >= 0.01
    frame = pd.DataFrame({
        "_idx": acc_all[keep],
        "kind": np.where(np.concatenate(kind)[keep], "refund", "invoice").astype(object),
        "issued_at": np.minimum(np.concatenate(issued)[keep], d0 + DAY_S - 1).astype("datetime64[s]"),
        "amount": amount_all[keep],
    }).sort_values(["issued_at", "_idx", "kind"], kind="stable", ignore_index=True)
    frame.insert(0, "account_id", prefixed_ids("acc_", frame["_idx"].to_numpy() + 1, 6))
    frame["currency"] = _CURRENCIES[company.currency[frame["_idx"].to_numpy()]]
    prefix = np.where(frame["kind"] == "refund", f"ref_{day:%Y%m%d}_", f"inv_{day:%Y%m%d}_")
    frame.insert(0, "invoice_id", [f"{p}{i:06d}" for p, i in zip(prefix, range(len(frame)))])
    return frame


def _add(acc: list, amount: list, issued: list, kind: list, idx: np.ndarray, value: np.ndarray,
         ts: np.ndarray, refund: bool) -> None:
    acc.append(idx)
    amount.append(value)
    issued.append(ts)
    kind.append(np.full(len(idx), refund))
