"""Product click stream of one UTC day: sessions of active accounts' users, bots, late and duplicate
deliveries. Returns the day's deliveries typed (timestamps as datetime64[ms]); `delivery_folder`
groups deliveries by received day and assigns Kafka offsets."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipeline_ops.generate import catalog as cat
from pipeline_ops.generate.common import DAY_MS, day_seconds, prefixed_ids, rng, stable_uniform, stochastic_round
from pipeline_ops.landing.contract import FEATURES, REGIONS

EVENTS_PER_USER_DAY = 10.0  # average over the week; weekday / weekend = 1.4
WEEKDAY_FACTOR, WEEKEND_FACTOR = 7 / (5 + 2 / 1.4), 7 / (5 * 1.4 + 2)
ACTIVE_SHARE, EXTRA_SESSIONS = 0.6, 0.8  # users active on an average day; sessions = 1 + Poisson(0.8)
SESSION_GAP_MIN_MS, SESSION_GAP_MEAN_MS = 31 * 60_000, 150 * 60_000
CLICK_GAP_MEAN_MS, CLICK_GAP_MAX_MS = 40_000, 25 * 60_000
UA_BOT_SHARE, RATE_BOT_SHARE, RATE_BOT_EVENTS = 0.017, 0.009, (320, 700)
LATE_SHARE, LATE_MIN_MS, LATE_MEAN_EXTRA_MS, LATE_MAX_MS = 0.03, 3_600_000, 8 * 3_600_000, 72 * 3_600_000
DUPLICATE_SHARE = 0.01
KAFKA_PARTITIONS, OFFSET_DAY_STRIDE, LINES_PER_PART = 12, 1 << 26, 250_000

HUMAN_UAS = np.array([
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
], dtype=object)
HUMAN_UA_P = np.array([0.34, 0.22, 0.12, 0.08, 0.1, 0.06, 0.04, 0.04])
BOT_UAS = np.array([
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36",
    "Screaming Frog SEO Spider/19.8",
    "uptime-crawler/2.1 (+https://status.example.com)",
], dtype=object)
PAGES = np.array(["/home", "/dashboards/", "/reports/", "/automation/", "/integrations", "/settings/profile",
                  "/billing", "/admin/users", "/forecasting/", "/chat"], dtype=object)
PAGE_P = np.array([0.22, 0.2, 0.17, 0.07, 0.05, 0.05, 0.03, 0.04, 0.07, 0.1])
FEATURE_P = np.array([0.25, 0.2, 0.12, 0.08, 0.1, 0.08, 0.12, 0.05])
_FEATURES = np.array(FEATURES, dtype=object)
_OFFSETS_H = np.array([cat.REGION_UTC_OFFSET[r] for r in REGIONS])


def _group_exclusive_cumsum(values: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Within consecutive groups of `sizes`, the sum of the preceding values of the group."""
    ex = np.cumsum(values) - values
    first = np.cumsum(sizes) - sizes
    return ex - np.repeat(ex[first], sizes)


def day_events(seed: int, day: dt.date, company) -> pd.DataFrame:
    """Events whose event_ts falls on `day`, one row per delivery (duplicates included)."""
    gen = rng(seed, day, "click_events")
    d0 = day_seconds(day) * 1000
    users = company.active_users()
    factor = WEEKDAY_FACTOR if day.weekday() < 5 else WEEKEND_FACTOR
    active = users[gen.random(len(users)) < ACTIVE_SHARE * factor]
    per_session = EVENTS_PER_USER_DAY / (ACTIVE_SHARE * (1 + EXTRA_SESSIONS)) - 1
    n_sess = 1 + gen.poisson(EXTRA_SESSIONS, len(active))
    s_user = np.repeat(active, n_sess)
    n_ev = 1 + gen.negative_binomial(2, 2 / (2 + per_session), len(s_user))
    gaps = np.minimum(gen.exponential(CLICK_GAP_MEAN_MS, n_ev.sum()), CLICK_GAP_MAX_MS).astype(np.int64) + 200
    gaps[np.cumsum(n_ev) - n_ev] = 0
    within = _group_exclusive_cumsum(gaps, n_ev)
    duration = within[np.cumsum(n_ev) - 1]
    advance = duration + SESSION_GAP_MIN_MS + gen.exponential(SESSION_GAP_MEAN_MS, len(s_user)).astype(np.int64)
    # First session of a user: local business hours (some at any hour), shifted to UTC by region.
    region = company.region[company.user_account[active]]
    local_h = np.where(gen.random(len(active)) < 0.85, gen.normal(12.5, 2.8, len(active)), gen.uniform(0, 24, len(active)))
    first = ((local_h - _OFFSETS_H[region]) * 3_600_000).astype(np.int64) % DAY_MS
    s_start = np.repeat(first, n_sess) + _group_exclusive_cumsum(advance, n_sess)
    ev_user = np.repeat(s_user, n_ev)
    ev_ts = np.repeat(s_start, n_ev) + within
    ev_type = np.where(gen.random(len(ev_ts)) < 0.2, 2, np.where(gen.random(len(ev_ts)) < 0.43, 0, 1))
    ev_type[np.cumsum(n_ev) - n_ev] = 0  # a session opens with a page view
    ua = HUMAN_UAS[np.searchsorted(np.cumsum(HUMAN_UA_P), stable_uniform(ev_user, 11) * 0.999999)]
    keep = ev_ts < DAY_MS
    ev_user, ev_ts, ev_type, ua = ev_user[keep], ev_ts[keep], ev_type[keep], ua[keep]

    # Bots: declared ones (bot UA, steady all day) and scripted users with a normal UA but inhuman rates.
    idle = np.setdiff1d(users, active) if len(users) > len(active) else users
    n_human = len(ev_ts)
    b_user, b_ts, b_ua = [], [], []
    if len(idle):
        n_ua = max(1, stochastic_round(8 * company.scale, gen))
        total = int(gen.poisson(UA_BOT_SHARE * n_human))
        who = gen.choice(idle, n_ua)
        b_user.append(np.repeat(who, np.bincount(gen.integers(0, n_ua, total), minlength=n_ua)))
        b_ts.append(np.sort(gen.integers(0, DAY_MS, total)))
        b_ua.append(BOT_UAS[(stable_uniform(b_user[-1], 13) * len(BOT_UAS)).astype(int)])
        n_rate = stochastic_round(RATE_BOT_SHARE * n_human / np.mean(RATE_BOT_EVENTS), gen)
        for bot in gen.choice(idle, n_rate):
            k = int(gen.integers(*RATE_BOT_EVENTS))
            b_user.append(np.full(k, bot))
            b_ts.append(int(gen.integers(0, DAY_MS - 3_600_000)) + np.sort(gen.integers(0, 3_300_000, k)))
            b_ua.append(np.full(k, HUMAN_UAS[0], dtype=object))
    if b_user:
        bu, bt = np.concatenate(b_user), np.concatenate(b_ts)
        ev_user, ev_ts = np.concatenate([ev_user, bu]), np.concatenate([ev_ts, bt])
        ev_type = np.concatenate([ev_type, np.where(gen.random(len(bt)) < 0.7, 0, 1)])
        ua = np.concatenate([ua, *b_ua])

    order = np.lexsort((ev_user, ev_ts))
    ev_user, ev_ts, ev_type, ua = ev_user[order], ev_ts[order] + d0, ev_type[order], ua[order]
    n = len(ev_ts)
    feature = np.where(ev_type == 2, _FEATURES[gen.choice(len(FEATURES), n, p=FEATURE_P)], None)
    page_id = gen.integers(1, 500, n)
    page_kind = PAGES[gen.choice(len(PAGES), n, p=PAGE_P)]
    page = [f"/{f}/{i}" if f is not None else (p + str(i) if p.endswith("/") else p)
            for f, p, i in zip(feature.tolist(), page_kind.tolist(), page_id.tolist())]
    lag = 50 + gen.exponential(1500, n).astype(np.int64)
    late = gen.random(n) < LATE_SHARE
    lag[late] = np.minimum(LATE_MIN_MS + gen.exponential(LATE_MEAN_EXTRA_MS, late.sum()), LATE_MAX_MS).astype(np.int64)
    uniq, inverse = np.unique(ev_user, return_inverse=True)  # format each user's ids once
    frame = pd.DataFrame({
        "event_id": prefixed_ids(f"evt_{day:%Y%m%d}_", np.arange(n), 8),
        "user_id": prefixed_ids("usr_", uniq + 1, 7)[inverse],
        "account_id": prefixed_ids("acc_", company.user_account[uniq] + 1, 6)[inverse],
        "event_ts": ev_ts.astype("datetime64[ms]"),
        "received_ts": (ev_ts + lag).astype("datetime64[ms]"),
        "event_type": np.array(["page_view", "click", "feature_use"], dtype=object)[ev_type],
        "feature": feature,
        "page": np.array(page, dtype=object),
        "user_agent": ua,
        "kafka_partition": (stable_uniform(ev_user, 17) * KAFKA_PARTITIONS).astype(np.int64),
    })
    dup = frame[gen.random(n) < DUPLICATE_SHARE].copy()
    redelivery = np.where(gen.random(len(dup)) < 0.3, 0, gen.integers(1_000, 600_000, len(dup)))
    dup["received_ts"] = dup["received_ts"] + pd.to_timedelta(redelivery, unit="ms")
    return pd.concat([frame, dup], ignore_index=True)


def delivery_folder(day: dt.date, parts: list[pd.DataFrame]) -> pd.DataFrame:
    """All deliveries received on `day`, in append order, with Kafka offsets: a per-day base (so each
    day is independent) plus the position within the partition; offsets are not contiguous across days."""
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if frame.empty:
        return frame
    frame = frame.sort_values(["received_ts", "kafka_partition", "event_id"], kind="stable", ignore_index=True)
    base = (day.toordinal() - dt.date(2020, 1, 1).toordinal()) * OFFSET_DAY_STRIDE
    frame["kafka_offset"] = base + frame.groupby("kafka_partition").cumcount().to_numpy(dtype=np.int64)
    return frame


def split_by_received_day(frame: pd.DataFrame) -> dict[dt.date, pd.DataFrame]:
    days = frame["received_ts"].to_numpy().astype("datetime64[D]")
    return {pd.Timestamp(d).date(): part for d, part in frame.groupby(days, sort=True)}
