"""FX rates (a small mean-reverting random walk), operating expenses and monthly salaries."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipeline_ops.generate.common import prefixed_ids, rng
from pipeline_ops.landing.contract import CURRENCIES

FX_BASE = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "INR": 0.012, "JPY": 0.0067, "BRL": 0.19}
FX_DAILY_VOL = {"USD": 0.0, "EUR": 0.004, "GBP": 0.004, "INR": 0.003, "JPY": 0.005, "BRL": 0.008}
FX_REVERSION = 0.02  # pull of the log deviation back to the base level per day


class FxWalk:
    """usd_per_unit per currency; `rates(day)` must be called for consecutive days from --start."""

    def __init__(self, seed: int):
        self.seed = seed
        self.log_dev = np.zeros(len(CURRENCIES))

    def rates(self, day: dt.date) -> pd.DataFrame:
        shock = rng(self.seed, day, "fx_rates").normal(0.0, 1.0, len(CURRENCIES))
        vol = np.array([FX_DAILY_VOL[c] for c in CURRENCIES])
        self.log_dev = (1 - FX_REVERSION) * self.log_dev + vol * shock
        base = np.array([FX_BASE[c] for c in CURRENCIES])
        rate = base * np.exp(self.log_dev)
        rate = np.array([float(f"{r:.6g}") for r in rate])  # 6 significant digits
        return pd.DataFrame({"rate_date": day.isoformat(), "currency": list(CURRENCIES), "usd_per_unit": rate})


# (category, vendor, currency, typical amount at scale 1 in that currency, day of month billed or 0 = ad hoc weight)
MONTHLY_BILLS = [
    ("cloud_infrastructure", "Amazon Web Services", "USD", 62000.0, 1),
    ("cloud_infrastructure", "Google Cloud", "USD", 14000.0, 1),
    ("cloud_infrastructure", "Hetzner Online", "EUR", 3500.0, 1),
    ("office", "WeWork London", "GBP", 9500.0, 1),
    ("office", "Regus Bengaluru", "INR", 650000.0, 1),
    ("software", "Datadog", "USD", 5200.0, 3),
    ("software", "Salesforce", "USD", 6400.0, 5),
    ("software", "Atlassian", "USD", 1800.0, 5),
    ("software", "Slack", "USD", 1300.0, 5),
    ("professional_services", "Baker Tilly Accountants", "USD", 7800.0, 15),
]
AD_HOC = [  # (category, vendor, currency, median amount, relative frequency)
    ("marketing", "Google Ads", "USD", 1800.0, 3.0), ("marketing", "LinkedIn Ads", "USD", 1200.0, 2.0),
    ("marketing", "Meta Ads", "USD", 700.0, 1.5), ("marketing", "SaaStr Events", "EUR", 4500.0, 0.2),
    ("travel", "Delta Air Lines", "USD", 650.0, 1.5), ("travel", "Lufthansa", "EUR", 540.0, 1.0),
    ("travel", "British Airways", "GBP", 480.0, 0.8), ("travel", "IndiGo", "INR", 9500.0, 0.6),
    ("travel", "Marriott", "USD", 320.0, 1.5), ("travel", "Uber", "USD", 35.0, 3.0),
    ("office", "Amazon Business", "USD", 140.0, 2.0), ("office", "Staples", "USD", 90.0, 1.0),
    ("software", "Figma", "USD", 450.0, 0.5), ("software", "Notion", "USD", 300.0, 0.5),
    ("professional_services", "Upwork", "USD", 1200.0, 1.0), ("professional_services", "Clifford Legal", "EUR", 3800.0, 0.3),
]
AD_HOC_PER_WEEKDAY, AD_HOC_PER_WEEKEND_DAY = 28.0, 3.0  # lines at scale 1
COST_GROWTH_MONTHLY = 0.02


def expenses(seed: int, day: dt.date, start: dt.date, scale: float) -> pd.DataFrame:
    gen = rng(seed, day, "expenses")
    growth = (1 + COST_GROWTH_MONTHLY) ** ((day - start).days / 30.44)
    bills = [b for b in MONTHLY_BILLS if b[4] == day.day]
    mean = (AD_HOC_PER_WEEKDAY if day.weekday() < 5 else AD_HOC_PER_WEEKEND_DAY) * scale * growth
    weights = np.array([a[4] for a in AD_HOC])
    picks = gen.choice(len(AD_HOC), int(gen.poisson(mean)), p=weights / weights.sum())
    rows = [(c, v, cur, amt * scale * growth * gen.uniform(0.92, 1.08)) for c, v, cur, amt, _ in bills]
    rows += [(AD_HOC[i][0], AD_HOC[i][1], AD_HOC[i][2], AD_HOC[i][3] * gen.lognormal(0.0, 0.6)) for i in picks]
    frame = pd.DataFrame(rows, columns=["category", "vendor", "currency", "amount"])
    frame["amount"] = np.maximum(np.round(frame["amount"].to_numpy(dtype=float), 2), 0.01)
    frame.insert(0, "expense_date", day.isoformat())
    frame.insert(0, "expense_id", prefixed_ids(f"exp_{day:%Y%m%d}_", np.arange(len(frame)), 4))
    return frame[["expense_id", "expense_date", "category", "vendor", "amount", "currency"]]


# team -> (headcount at scale 1, monthly employer cost per head, currency)
TEAMS = {
    "engineering": (15, 11500.0, "USD"),
    "sales": (9, 9000.0, "USD"),
    "customer_success": (7, 5600.0, "EUR"),
    "marketing": (5, 8200.0, "USD"),
    "general_admin": (4, 8800.0, "USD"),
}
HEADCOUNT_GROWTH_MONTHLY = 0.015


def salaries(seed: int, month_first: dt.date, start: dt.date, scale: float) -> pd.DataFrame:
    gen = rng(seed, month_first, "salaries")
    months = (month_first.year - start.year) * 12 + month_first.month - start.month
    rows = []
    for team, (heads, cost, currency) in TEAMS.items():
        headcount = max(1, round(heads * scale * (1 + HEADCOUNT_GROWTH_MONTHLY) ** months))
        rows.append((f"{month_first:%Y-%m}", team, headcount, round(headcount * cost * gen.uniform(0.97, 1.03), 2), currency))
    return pd.DataFrame(rows, columns=["month", "team", "headcount", "amount", "currency"])
