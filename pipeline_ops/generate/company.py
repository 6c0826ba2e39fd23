"""Accounts and their subscriptions, simulated day by day from --start.

At most one subscription event per account per day, so applying day D's events to the D-1
snapshot gives the D snapshot exactly. MRR is always round(licences * price_per_licence, 2).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipeline_ops.generate import catalog as cat
from pipeline_ops.generate.common import DAY_S, day_seconds, prefixed_ids, rng, ymd
from pipeline_ops.landing.contract import CURRENCIES, PLANS, REGIONS

NONE, NEW, UPGRADE, DOWNGRADE, LICENCE, RENEWAL, CHURN = range(7)
KIND_NAMES = {NEW: "new", UPGRADE: "upgrade", DOWNGRADE: "downgrade", LICENCE: "licence_change",
              RENEWAL: "renewal", CHURN: "churn"}
_FIELDS = ("plan", "region", "currency", "discount", "price", "licences", "util", "billing_dom",
           "created_s", "churned_s", "active")
_PLANS = np.array(PLANS, dtype=object)
_CURRENCIES = np.array(CURRENCIES, dtype=object)


def price_for(currency: np.ndarray, plan: np.ndarray, discount: np.ndarray) -> np.ndarray:
    disc = np.where(plan == cat.ENTERPRISE, discount, 0.0)
    return np.round(cat.PRICE_TABLE[currency, plan] * (1.0 - disc), 2)


def _stratified(k: int, gen: np.random.Generator) -> np.ndarray:
    """k uniforms in [0, 1), one in each of k equal strata, in random order."""
    return (gen.permutation(k) + gen.random(k)) / max(k, 1)


class Company:
    """Mutable account and user state; `step(day)` advances one UTC day and returns its events."""

    def __init__(self, seed: int, start: dt.date, scale: float):
        self.seed, self.start, self.scale = seed, start, scale
        gen = rng(seed, start, "company_init")
        n_active = max(1, round(2000 * scale))
        n_hist = round(n_active * cat.HISTORICAL_CHURNED_SHARE)
        start_s = day_seconds(start)
        created = start_s - gen.integers(DAY_S, cat.HISTORY_YEARS * 365 * DAY_S, n_active + n_hist)
        active_part, hist_part = self._draw_accounts(created[:n_active], gen), self._draw_accounts(created[n_active:], gen)
        state = {name: np.concatenate([active_part[name], hist_part[name]]) for name in _FIELDS}
        hist = np.zeros(len(created), dtype=bool)
        hist[n_active:] = True
        state["churned_s"][hist] = created[hist] + ((start_s - created[hist]) * gen.uniform(0.2, 0.99, n_hist)).astype(np.int64)
        state["active"][hist] = False
        state["licences"][hist] = 0
        order = np.argsort(created, kind="stable")  # account ids increase with signup time
        for name in _FIELDS:
            setattr(self, name, state[name][order])
        self.user_account = np.zeros(0, dtype=np.int64)
        self.user_ordinal = np.zeros(0, dtype=np.int64)
        self.user_created_s = np.zeros(0, dtype=np.int64)
        self.allocated = np.zeros(len(created), dtype=np.int64)
        self._allocate_users(self.created_s)

    @property
    def n(self) -> int:
        return len(self.plan)

    @property
    def mrr(self) -> np.ndarray:
        return np.where(self.active, np.round(self.licences * self.price, 2), 0.0)

    @property
    def need(self) -> np.ndarray:
        """Users an account has at the end of the day (seat utilisation of its licences)."""
        return np.where(self.active, np.ceil(self.licences * self.util), 0).astype(np.int64)

    def active_users(self) -> np.ndarray:
        """Indices (into user_*) of users whose account is active and within its seats."""
        return np.flatnonzero(self.user_ordinal < self.need[self.user_account])

    def _draw_accounts(self, created: np.ndarray, gen: np.random.Generator) -> dict[str, np.ndarray]:
        k = len(created)
        # Stratified draws keep plan mix and seat totals close to expectation even for a few accounts,
        # so row counts scale linearly down to tiny --scale values.
        plan = np.searchsorted(np.cumsum(cat.PLAN_SHARE), _stratified(k, gen), side="right").clip(0, 2).astype(np.int64)
        region = gen.choice(len(REGIONS), k, p=cat.REGION_SHARE).astype(np.int64)
        currency = cat.draw_currency(region, gen).astype(np.int64)
        discount = gen.choice(cat.ENTERPRISE_DISCOUNTS, k)
        seats = np.zeros(k, dtype=np.int64)
        for p in range(3):
            members = np.flatnonzero(plan == p)
            u = _stratified(len(members), gen)
            seats[members] = cat.PLAN_MIN_SEATS[p] + np.floor(np.log1p(-u) / np.log1p(-cat.PLAN_SEAT_P[p])).astype(np.int64)
        dom = ymd(created)[2]
        month_end = (plan == cat.ENTERPRISE) | (gen.random(k) < cat.MONTH_END_BILLING_SHARE)
        return {
            "plan": plan, "region": region, "currency": currency, "discount": discount,
            "price": price_for(currency, plan, discount),
            "licences": np.minimum(seats, cat.PLAN_MAX_SEATS[plan]).astype(np.int64),
            "util": gen.uniform(*cat.SEAT_UTILISATION, k),
            "billing_dom": np.where(month_end, 0, np.minimum(dom, 28)).astype(np.int64),
            "created_s": created.astype(np.int64), "churned_s": np.full(k, -1, dtype=np.int64),
            "active": np.ones(k, dtype=bool),
        }

    def _allocate_users(self, when_s: np.ndarray) -> None:
        deficit = np.maximum(self.need - self.allocated, 0)
        if not deficit.any():
            return
        acc = np.repeat(np.arange(self.n), deficit)
        first = np.cumsum(deficit) - deficit
        ordinal = self.allocated[acc] + (np.arange(len(acc)) - np.repeat(first, deficit))
        self.user_account = np.concatenate([self.user_account, acc])
        self.user_ordinal = np.concatenate([self.user_ordinal, ordinal])
        self.user_created_s = np.concatenate([self.user_created_s, when_s[acc]])
        self.allocated += deficit

    def step(self, day: dt.date) -> pd.DataFrame:
        """Apply one day of changes; returns the day's subscription events (private `_idx` column)."""
        gen = rng(self.seed, day, "company")
        d0 = day_seconds(day)
        idx = np.flatnonzero(self.active)
        p = self.plan[idx]
        c = np.cumsum(np.stack([cat.CHURN_MONTHLY[p], cat.UPGRADE_MONTHLY[p], cat.DOWNGRADE_MONTHLY[p],
                                np.full(len(idx), cat.LICENCE_CHANGE_MONTHLY)]) / 30.0, axis=0)
        u = gen.random(len(idx))
        kind = np.select([u < c[0], u < c[1], u < c[2], u < c[3]], [CHURN, UPGRADE, DOWNGRADE, LICENCE], NONE)
        year, month, dom = ymd(self.created_s[idx])
        anniversary = (month == day.month) & (dom == day.day) & (year < day.year)
        kind[(kind == NONE) & anniversary] = RENEWAL
        ev = idx[kind != NONE]
        kind = kind[kind != NONE]
        plan_b, lic_b, mrr_b = self.plan[ev].copy(), self.licences[ev].copy(), self.mrr[ev]
        ts = d0 + gen.integers(6 * 3600, 22 * 3600, len(ev))
        self._apply(ev, kind, ts, gen)
        # New sign-ups, more on weekdays.
        factor = cat.WEEKDAY_SIGNUP_FACTOR if day.weekday() < 5 else cat.WEEKEND_SIGNUP_FACTOR
        k = int(gen.poisson(len(idx) * cat.NEW_MONTHLY / 30.0 * factor))
        new_ts = d0 + gen.integers(0, DAY_S, k)
        new = self._draw_accounts(new_ts, gen)
        new_idx = np.arange(self.n, self.n + k)
        for name in _FIELDS:
            setattr(self, name, np.concatenate([getattr(self, name), new[name]]))
        self.allocated = np.concatenate([self.allocated, np.zeros(k, dtype=np.int64)])
        alloc_ts = np.full(self.n, d0, dtype=np.int64)
        alloc_ts[ev], alloc_ts[new_idx] = ts, new_ts
        self._allocate_users(alloc_ts)

        all_idx = np.concatenate([ev, new_idx])
        all_kind = np.concatenate([kind, np.full(k, NEW)])
        mrr = self.mrr
        events = pd.DataFrame({
            "_idx": all_idx,
            "account_id": prefixed_ids("acc_", all_idx + 1, 6),
            "event_type": [KIND_NAMES[x] for x in all_kind.tolist()],
            "event_ts": np.concatenate([ts, new_ts]).astype("datetime64[s]"),
            "plan_before": np.concatenate([_PLANS[plan_b], np.full(k, None, dtype=object)]),
            "plan_after": np.where(self.active[all_idx], _PLANS[self.plan[all_idx]], None),
            "licences_before": np.concatenate([lic_b, np.zeros(k, dtype=np.int64)]),
            "licences_after": self.licences[all_idx],
            "mrr_before": np.concatenate([mrr_b, np.zeros(k)]),
            "mrr_after": mrr[all_idx],
            "currency": _CURRENCIES[self.currency[all_idx]],
        }).sort_values(["event_ts", "_idx"], kind="stable", ignore_index=True)
        events.insert(0, "event_id", prefixed_ids(f"sev_{day:%Y%m%d}_", np.arange(len(events)), 5))
        return events

    def _apply(self, ev: np.ndarray, kind: np.ndarray, ts: np.ndarray, gen: np.random.Generator) -> None:
        up, down, lic, churn = (ev[kind == x] for x in (UPGRADE, DOWNGRADE, LICENCE, CHURN))
        self.plan[up] += 1
        self.licences[up] = np.maximum(self.licences[up], cat.PLAN_MIN_SEATS[self.plan[up]])
        self.billing_dom[up[self.plan[up] == cat.ENTERPRISE]] = 0  # enterprise bills at month end
        self.plan[down] -= 1
        self.licences[down] = np.minimum(self.licences[down], cat.PLAN_MAX_SEATS[self.plan[down]])
        for group in (up, down):
            self.price[group] = price_for(self.currency[group], self.plan[group], self.discount[group])
        old = self.licences[lic]
        grow = gen.random(len(lic)) < 0.7
        delta = np.maximum(1, np.round(old * gen.uniform(0.05, 0.3, len(lic)))).astype(np.int64)
        lo, hi = cat.PLAN_MIN_SEATS[self.plan[lic]], cat.PLAN_MAX_SEATS[self.plan[lic]]
        new = np.clip(np.where(grow, old + delta, old - delta), lo, hi)
        new = np.where(new == old, np.where(old < hi, old + 1, old - 1), new)
        self.licences[lic] = new
        self.active[churn] = False
        self.licences[churn] = 0
        self.churned_s[churn] = ts[kind == CHURN]

    def snapshot(self) -> pd.DataFrame:
        """End-of-day accounts snapshot (every account created so far)."""
        ids = np.arange(self.n)
        churned = self.churned_s.astype("datetime64[s]")
        churned[self.churned_s < 0] = np.datetime64("NaT")
        return pd.DataFrame({
            "account_id": prefixed_ids("acc_", ids + 1, 6),
            "account_name": cat.account_names(ids),
            "plan": _PLANS[self.plan],
            "region": np.array(REGIONS, dtype=object)[self.region],
            "currency": _CURRENCIES[self.currency],
            "status": np.where(self.active, "active", "churned").astype(object),
            "licences": self.licences,
            "price_per_licence": self.price,
            "mrr": self.mrr,
            "created_at": self.created_s.astype("datetime64[s]"),
            "churned_at": churned,
        })
