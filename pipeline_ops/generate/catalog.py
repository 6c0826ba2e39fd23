"""The synthetic company's fixed catalogue: prices, regions, currencies, names, rates of change."""

from __future__ import annotations

import numpy as np

from pipeline_ops.landing.contract import CURRENCIES, PLANS, REGIONS

# Monthly list price per seat, by plan, in each billing currency ("nice" local price points).
LIST_PRICE = {
    "USD": (15.0, 35.0, 60.0),
    "EUR": (14.0, 32.0, 55.0),
    "GBP": (12.0, 28.0, 48.0),
    "INR": (1200.0, 2900.0, 4900.0),
    "JPY": (2200.0, 5200.0, 8900.0),
    "BRL": (79.0, 179.0, 299.0),
}
PRICE_TABLE = np.array([LIST_PRICE[c] for c in CURRENCIES])  # [currency, plan]
ENTERPRISE = PLANS.index("enterprise")
ENTERPRISE_DISCOUNTS = np.array([0.0, 0.0, 0.10, 0.15, 0.20])

PLAN_SHARE = np.array([0.55, 0.32, 0.13])
PLAN_MIN_SEATS = np.array([1, 5, 20])
PLAN_MAX_SEATS = np.array([10, 60, 2000])
# New accounts: seats = min + geometric(p) - 1, capped at the plan maximum.
PLAN_SEAT_P = np.array([0.35, 0.09, 0.035])

REGION_SHARE = np.array([0.40, 0.22, 0.10, 0.10, 0.10, 0.08])
# Usual currency per region (APAC/LATAM sometimes bill in USD; ~6% of anyone bill in USD).
REGION_CURRENCY = {"NA": ("USD", 1.0), "EU": ("EUR", 1.0), "UK": ("GBP", 1.0), "IN": ("INR", 1.0), "APAC": ("JPY", 0.6), "LATAM": ("BRL", 0.7)}
USD_ANYWAY = 0.06
# UTC offset (hours) of each region's business day, for click-stream hours.
REGION_UTC_OFFSET = {"NA": -5.0, "EU": 1.0, "UK": 0.0, "IN": 5.5, "APAC": 9.0, "LATAM": -3.0}
MONTH_END_BILLING_SHARE = 0.40  # of non-enterprise accounts; enterprise always bill at month end

# Monthly rates of change (per active account); daily hazard = rate / 30.
CHURN_MONTHLY = np.array([0.024, 0.013, 0.006])  # by plan
UPGRADE_MONTHLY = np.array([0.012, 0.006, 0.0])
DOWNGRADE_MONTHLY = np.array([0.0, 0.004, 0.003])
LICENCE_CHANGE_MONTHLY = 0.05
NEW_MONTHLY = 0.047  # new sign-ups per active account; net growth ~3%/month after churn
WEEKDAY_SIGNUP_FACTOR, WEEKEND_SIGNUP_FACTOR = 1.2, 0.5
SEAT_UTILISATION = (0.55, 0.95)  # users per licence, uniform per account
HISTORY_YEARS = 3  # accounts existing at --start signed up during the previous 3 years
HISTORICAL_CHURNED_SHARE = 0.15  # extra accounts that churned before --start

_ADJ = ("Blue", "Bright", "Silver", "North", "Red", "Quiet", "Rapid", "Golden", "Green", "Iron", "Clear", "Summit",
        "Prime", "Bold", "Urban", "Lunar", "Solar", "Coastal", "Swift", "Nova")
_NOUN = ("Harbor", "Peak", "River", "Forge", "Pine", "Orbit", "Bridge", "Falcon", "Cedar", "Signal", "Anchor", "Atlas",
         "Beacon", "Canyon", "Delta", "Ember", "Grove", "Horizon", "Maple", "Vertex", "Willow", "Quarry", "Lantern")
_KIND = ("Analytics", "Logistics", "Health", "Foods", "Labs", "Systems", "Media", "Retail", "Energy", "Capital",
         "Studios", "Robotics", "Travel", "Partners", "Software")
_SUFFIX = ("Inc", "Ltd", "GmbH", "LLC", "SA", "Pvt Ltd", "KK", "Ltda", "Group", "Co")


def account_names(indices: np.ndarray) -> np.ndarray:
    """A deterministic company name per account index (no commas, so CSV needs no quoting)."""
    out = []
    for i in np.asarray(indices).tolist():
        h = (i * 2654435761) & 0xFFFFFFFF
        out.append(f"{_ADJ[h % 20]} {_NOUN[(h >> 5) % 23]} {_KIND[(h >> 10) % 15]} {_SUFFIX[(h >> 15) % 10]}")
    return np.array(out, dtype=object)


def draw_currency(region: np.ndarray, gen: np.random.Generator) -> np.ndarray:
    """Currency index per account, mostly the region's own currency."""
    usd = CURRENCIES.index("USD")
    out = np.full(len(region), usd, dtype=np.int8)
    u = gen.random(len(region))
    for r, name in enumerate(REGIONS):
        cur, share = REGION_CURRENCY[name]
        mask = (region == r) & (u < share * (1 - USD_ANYWAY))
        out[mask] = CURRENCIES.index(cur)
    return out
