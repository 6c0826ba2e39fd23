"""Revenue recognition: every invoice and refund spread ratably over its service period.

The rule (profit definition 2.0), for a document issued on day I with USD amount a (signed:
+ invoice, - refund) and service period s .. e (inclusive, n = e - s + 1 days):

- each day D of the period with D > I recognises a / n;
- the issue day I recognises a / n for every day of the period up to and including I
  (``(min(e, I) - s + 1) x a / n``; 0 when the period starts after I). A document issued late for
  days already past (a service credit for the current period) is caught up on its issue day, as
  finance does: a published day never changes because of a document issued after it, and every
  document is recognised in full (its days add up to a).

So a refund is recognised negatively over the days it gives back that are still ahead, and the
past days' share on its issue day. A document issued while its account's experiment was
exclude_from_investor stays out of investor_recognised_usd on every day it is recognised (the
document is experiment traffic, whatever the account's assignment on later days). Because a period ends at most MAX_SERVICE_DAYS_AHEAD (L = 31)
days after its issue day, day D needs exactly the documents issued D - L .. D.

History: the lake's revenue history starts at H = the later of `processing.partitions_start` and
the earliest stg_revenue_usd partition in the lake; nothing issued before H can be known. A day
with D - L < H is published with recognition_complete = false (its revenue is understated by
documents issued before H: the ramp-up of the lake's first month); every stg_revenue_usd partition
of max(H, D - L) .. D must exist, or the run fails closed naming the missing ones.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipeline_ops.landing.contract import MAX_SERVICE_DAYS_AHEAD as LOOKBACK_DAYS
from pipeline_ops.staging.common import DataContractError

COLUMNS = ["date", "account_id", "recognised_usd", "investor_recognised_usd", "recognised_refunds_usd", "documents",
           "recognition_complete"]


def history_start(partitions_start: dt.date, lake_partitions: list[str]) -> dt.date:
    """H: the later of partitions_start and the earliest stg_revenue_usd partition in the lake."""
    earliest = dt.date.fromisoformat(lake_partitions[0]) if lake_partitions else partitions_start
    return max(partitions_start, earliest)


def complete(day: dt.date, history: dt.date) -> bool:
    """True when every document that can be recognised on `day` was issued on or after `history`."""
    return day - dt.timedelta(days=LOOKBACK_DAYS) >= history


def lookback_keys(days: list[dt.date], history: dt.date) -> list[str]:
    """stg_revenue_usd partitions the run's days need: max(H, first - L) .. last, and the run's days."""
    first = max(history, days[0] - dt.timedelta(days=LOOKBACK_DAYS))
    span = [first + dt.timedelta(days=i) for i in range((days[-1] - first).days + 1)]
    return sorted({d.isoformat() for d in (*span, *days)})


def require_partitions(needed: list[str], present: set[str], history: dt.date) -> None:
    """Fail closed naming every look-back partition of stg_revenue_usd the lake lacks."""
    missing = [k for k in needed if k not in present]
    if missing:
        raise DataContractError(
            f"stg_revenue_recognised: {len(missing)} stg_revenue_usd partition(s) of the {LOOKBACK_DAYS}-day "
            f"look-back are missing from the lake (first: {missing[:5]}); the lake's revenue history starts "
            f"{history.isoformat()} (the later of processing.partitions_start and its earliest stg_revenue_usd "
            "partition), so they are needed: materialize stg_revenue_usd for them, then re-run."
        )


def recognise(docs: pd.DataFrame, days: list[dt.date], history: dt.date) -> pd.DataFrame:
    """Recognised revenue per (day, account) for `days` from stg_revenue_usd rows `docs` (any issue days).

    Sums run in a fixed order (day, account, issue day, invoice_id), so a day's figures do not
    depend on which other days or documents were in the run. Columns are numeric until the end,
    so a year's backfill stays small in memory.
    """
    if docs.empty:
        return _empty()
    docs = docs.sort_values(["date", "invoice_id"], kind="stable").reset_index(drop=True)
    accounts, account = np.unique(docs["account_id"].astype(str).to_numpy(), return_inverse=True)
    lo, hi = np.datetime64(days[0], "D"), np.datetime64(days[-1], "D")
    issue = docs["date"].to_numpy().astype("datetime64[D]")
    start = docs["service_start"].to_numpy().astype("datetime64[D]")
    end = docs["service_end"].to_numpy().astype("datetime64[D]")
    first = np.maximum(np.maximum(start, issue), lo)  # nothing before the issue day or the run
    last = np.minimum(np.maximum(end, issue), hi)
    count = np.maximum((last - first).astype(np.int64) + 1, 0)
    row = np.repeat(np.arange(len(docs)), count)
    offset = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    day = first[row] + offset.astype("timedelta64[D]")
    caught_up = (np.minimum(end, issue) - start).astype(np.int64) + 1  # days of the period up to the issue day
    days_now = np.where(day == issue[row], np.maximum(caught_up[row], 0), 1)
    value = (docs["amount_usd"].to_numpy(dtype=float) / docs["service_days"].to_numpy(dtype=float))[row] * days_now
    refund = (docs["kind"].astype(str).to_numpy() == "refund")[row]
    investor = ~docs["exclude_from_investor"].to_numpy(dtype=bool)[row]
    parts = pd.DataFrame({"date": day.astype("datetime64[ns]"), "account": account[row], "doc": row, "value": value,
                          "investor_value": np.where(investor, value, 0.0), "refunds": np.where(refund, -value, 0.0)})
    wanted = pd.to_datetime([d.isoformat() for d in days]).astype("datetime64[ns]")
    parts = parts[parts["date"].isin(wanted)].sort_values(["date", "account", "doc"], kind="stable")
    out = parts.groupby(["date", "account"], sort=True).agg(
        recognised_usd=("value", "sum"), investor_recognised_usd=("investor_value", "sum"),
        recognised_refunds_usd=("refunds", "sum"), documents=("doc", "size"),
    ).reset_index()
    if out.empty:
        return _empty()
    out["account_id"] = accounts[out["account"].to_numpy()]
    out["recognition_complete"] = [complete(d.date(), history) for d in pd.to_datetime(out["date"])]
    return out[COLUMNS].astype({"documents": "int64", "recognition_complete": bool})


def _empty() -> pd.DataFrame:
    """No revenue recognised on any of the run's days (typed, so the publish and SQL see the schema)."""
    types = ("datetime64[ns]", "string", "float64", "float64", "float64", "int64", "bool")
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(COLUMNS, types)})


def run_metadata(days: list[dt.date], history: dt.date, partitions_read: int) -> dict:
    """What a reader of the run needs to trust (or not) the recognised figures."""
    incomplete = [d.isoformat() for d in days if not complete(d, history)]
    return {
        "recognition_complete": not incomplete,
        "recognition_history_start": history.isoformat(),
        "recognition_lookback_days": LOOKBACK_DAYS,
        "incomplete_days": len(incomplete),
        "incomplete_days_range": f"{incomplete[0]}..{incomplete[-1]}" if incomplete else "none",
        "lookback_partitions_read": partitions_read,
    }
