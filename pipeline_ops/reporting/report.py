"""The investor monthly report as a pure function of the three investor-facing daily tables."""

from __future__ import annotations

import calendar

import numpy as np
import pandas as pd

from pipeline_ops.metrics.reporting import DEFINITION_VERSION

UPSTREAM = ("profit_aggregate", "growth_aggregate", "engagement_aggregate")


class IncompleteMonthError(RuntimeError):
    """An investor report would be built from a month with missing days: fail closed."""


def month_days(month: str) -> list[str]:
    year, mon = (int(x) for x in month.split("-"))
    return [f"{month}-{d:02d}" for d in range(1, calendar.monthrange(year, mon)[1] + 1)]


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, NaN (published as null) when the denominator is 0 or missing."""
    if denominator is None or pd.isna(denominator) or denominator == 0:
        return np.nan
    return float(numerator) / float(denominator)


def check_complete(month: str, tables: dict[str, pd.DataFrame]) -> None:
    """Raise naming each upstream table and the days it lacks."""
    expected = set(month_days(month))
    gaps = {}
    for name, frame in tables.items():
        have = set(frame["date"].dt.strftime("%Y-%m-%d")) if len(frame) else set()
        missing = sorted(expected - have)
        if missing:
            gaps[name] = missing
    if gaps:
        detail = "; ".join(f"{k}: {len(v)} day(s) missing, first {v[:3]}" for k, v in gaps.items())
        raise IncompleteMonthError(f"investor report {month} not built, inputs incomplete: {detail}")


def build_report(month: str, profit: pd.DataFrame, growth: pd.DataFrame, engagement: pd.DataFrame) -> pd.DataFrame:
    """One row for `month`; every day of the month must be present in every input."""
    check_complete(month, {"profit_aggregate": profit, "growth_aggregate": growth, "engagement_aggregate": engagement})
    growth = growth.sort_values("date")
    engagement = engagement.sort_values("date")
    last_growth, last_engagement = growth.iloc[-1], engagement.iloc[-1]
    revenue = profit["revenue_usd"].sum()
    profit_usd = profit["profit_usd"].sum()
    net_new_mrr = growth["net_new_mrr_usd"].sum()
    avg_dau = engagement["dau"].mean()
    upstream_versions = sorted(
        set(profit["definition_version"]) | set(growth["definition_version"]) | set(engagement["definition_version"])
    )
    row = {
        "month": month,
        "days_in_month": len(month_days(month)),
        "revenue_usd": revenue,
        "expenses_usd": profit["expenses_usd"].sum(),
        "salaries_usd": profit["salaries_usd"].sum(),
        "profit_usd": profit_usd,
        "profit_margin": _ratio(profit_usd, revenue),
        "active_accounts_end": int(last_growth["active_accounts"]),
        "new_accounts": int(growth["new_accounts"].sum()),
        "churned_accounts": int(growth["churned_accounts"].sum()),
        "net_new_accounts": int(growth["net_new_accounts"].sum()),
        "licences_end": int(last_growth["licences"]),
        "mrr_end_usd": float(last_growth["mrr_usd"]),
        "net_new_mrr_usd": net_new_mrr,
        "mrr_growth_pct": 100 * _ratio(net_new_mrr, last_growth["mrr_usd"] - net_new_mrr),
        "avg_dau": avg_dau,
        "mau_end": int(last_engagement["mau"]),
        "stickiness": _ratio(avg_dau, last_engagement["mau"]),
        "sessions_per_user": engagement["sessions_per_user"].mean(),
        "time_in_app_min_per_user": engagement["time_in_app_min_per_user"].mean(),
        "d7_retention": engagement["d7_retention"].mean(),
        "definition_version": f"{DEFINITION_VERSION} ({', '.join(upstream_versions)})",
    }
    return pd.DataFrame([row])
