"""Faults of the click stream (the events that happened on the day, each row one delivery)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline_ops.generate.common import DAY_MS
from pipeline_ops.generate.faults.base import EMPTY_DELIVERY, Fault, FaultContext, Frames, fresh_ids, pick, with_rows

# Below engagement.rules.BOT_RULES.max_events_per_hour (300): the rate rule never fires on them.
BOT_EVENTS_PER_HOUR = 250
BOT_WAVE_SHARE = 0.06  # bot events added, as a share of the day's events (below the 10 % volume gate)
IST_MS = int(5.5 * 3_600_000)
_H = 3_600_000


def _clicks(frames: Frames) -> pd.DataFrame | None:
    clicks = frames.get("click_events")
    return None if clicks is None or clicks.empty else clicks


def _ms(values: pd.Series) -> np.ndarray:
    return values.to_numpy().astype("datetime64[ms]")


def _same_folder(received: np.ndarray, delay_ms: np.ndarray) -> np.ndarray:
    """received + delay, kept inside the received day (a redelivery into the same folder)."""
    end = received.astype("datetime64[D]") + np.timedelta64(1, "D") - np.timedelta64(1, "ms")
    return np.minimum(received + delay_ms.astype("timedelta64[ms]"), end)


def _kafka_outage(frames: Frames, ctx: FaultContext) -> Frames:
    clicks = frames.get("click_events")
    empty = clicks.iloc[0:0] if clicks is not None else None
    return {**frames, "click_events": empty, EMPTY_DELIVERY: None}


def _duplicate_click_deliveries(frames: Frames, ctx: FaultContext) -> Frames:
    clicks = _clicks(frames)
    if clicks is None:
        return frames
    gen = ctx.rng("duplicate_click_deliveries")
    originals = clicks.drop_duplicates("event_id")
    extra = originals[gen.random(len(originals)) < 0.20].copy()
    extra["received_ts"] = _same_folder(_ms(extra["received_ts"]), gen.integers(0, 120_000, len(extra)))
    return {**frames, "click_events": pd.concat([clicks, extra], ignore_index=True)}


def _duplicate_clicks_new_ids(frames: Frames, ctx: FaultContext) -> Frames:
    clicks = _clicks(frames)
    if clicks is None:
        return frames
    gen = ctx.rng("duplicate_clicks_new_ids")
    originals = clicks.drop_duplicates("event_id")
    extra = originals.iloc[pick(len(originals), 0.05, gen)].copy()
    extra["event_id"] = fresh_ids(originals["event_id"], len(extra))
    extra["received_ts"] = _same_folder(_ms(extra["received_ts"]), gen.integers(0, 120_000, len(extra)))
    return {**frames, "click_events": with_rows(clicks, extra)}


def _late(clicks: pd.DataFrame, events: np.ndarray, gen: np.random.Generator) -> pd.DataFrame:
    """Every delivery of `events` (event ids) delivered 49-72 h after it happened."""
    clicks = clicks.copy()
    rows = clicks["event_id"].isin(set(events)).to_numpy()
    lag = gen.integers(49 * _H, 72 * _H, int(rows.sum())).astype("timedelta64[ms]")
    clicks.loc[rows, "received_ts"] = _ms(clicks.loc[rows, "event_ts"]) + lag
    return clicks


def _late_partition(frames: Frames, ctx: FaultContext) -> Frames:
    clicks = _clicks(frames)
    if clicks is None:
        return frames
    return {**frames, "click_events": _late(clicks, clicks["event_id"].unique(), ctx.rng("late_partition"))}


def _late_events_backlog(frames: Frames, ctx: FaultContext) -> Frames:
    clicks = _clicks(frames)
    if clicks is None:
        return frames
    gen = ctx.rng("late_events_backlog")
    ids = clicks["event_id"].unique()
    return {**frames, "click_events": _late(clicks, ids[pick(len(ids), 0.05, gen)], gen)}


def _bot_wave_human_speed(frames: Frames, ctx: FaultContext) -> Frames:
    """Scripted users with a normal user agent, each at BOT_EVENTS_PER_HOUR for up to 12 hours."""
    clicks = _clicks(frames)
    if clicks is None:
        return frames
    gen = ctx.rng("bot_wave_human_speed")
    total = int(round(BOT_WAVE_SHARE * clicks["event_id"].nunique()))
    n_bots = max(1, int(np.ceil(total / (BOT_EVENTS_PER_HOUR * 12))))
    users = clicks.drop_duplicates("user_id")
    bots = users.iloc[pick(len(users), 0.0, gen, minimum=n_bots)]
    step_ms = 3_600_000 / BOT_EVENTS_PER_HOUR  # evenly spaced: no 60-minute window holds more than the rate
    day0 = np.datetime64(ctx.day, "ms")
    parts = []
    for i, bot in enumerate(bots.itertuples(index=False)):
        k = total // n_bots + (1 if i < total % n_bots else 0)
        first = int(gen.integers(0, DAY_MS - int(k * step_ms) - 60_000))
        ts = day0 + (first + np.arange(k) * step_ms).astype(np.int64).astype("timedelta64[ms]")
        parts.append(pd.DataFrame({
            "user_id": bot.user_id, "account_id": bot.account_id, "event_ts": ts,
            "received_ts": ts + gen.integers(50, 1_500, k).astype("timedelta64[ms]"),
            "event_type": np.where(gen.random(k) < 0.6, "page_view", "click").astype(object), "feature": None,
            "page": [f"/reports/{p}" for p in gen.integers(1, 500, k)], "user_agent": bot.user_agent,
            "kafka_partition": bot.kafka_partition,
        }))
    wave = pd.concat(parts, ignore_index=True)
    wave.insert(0, "event_id", fresh_ids(clicks["event_id"], len(wave)))
    return {**frames, "click_events": with_rows(clicks, wave)}


def _clicks_wrong_timezone(frames: Frames, ctx: FaultContext) -> Frames:
    """5 % of the users' clients stamp event_ts with the IST wall clock but a 'Z' (UTC + 5:30)."""
    clicks = _clicks(frames)
    if clicks is None:
        return frames
    users = np.array(sorted(set(clicks["user_id"])), dtype=object)
    shifted = set(users[pick(len(users), 0.05, ctx.rng("clicks_wrong_timezone"))])
    clicks = clicks.copy()
    rows = clicks["user_id"].isin(shifted).to_numpy()
    clicks.loc[rows, "event_ts"] = _ms(clicks.loc[rows, "event_ts"]) + np.timedelta64(IST_MS, "ms")
    return {**frames, "click_events": clicks}


def _malformed_click_lines(frames: Frames, ctx: FaultContext) -> Frames:
    clicks = _clicks(frames)
    if clicks is None:
        return frames
    gen = ctx.rng("malformed_click_lines")
    cut = np.full(len(clicks), np.nan)
    rows = pick(len(clicks), 0.03, gen)
    cut[rows] = gen.uniform(0.2, 0.8, len(rows))  # each line cut at 20-80 % of its length
    return {**frames, "click_events": clicks.assign(_truncate=cut)}


def _click_events_row_drop(frames: Frames, ctx: FaultContext) -> Frames:
    clicks = _clicks(frames)
    if clicks is None:
        return frames
    return {**frames, "click_events": clicks[clicks["event_type"] != "click"].reset_index(drop=True)}


_E = "engagement_aggregate"
_C = "stg_click_events"
FAULTS = [
    Fault("kafka_outage", "no click event at all for the day: its delivery folder is one empty file (the exporter ran, "
          "Kafka had nothing) and the day's events are lost", ("click_events",), _kafka_outage,
          failure_mode="kafka-outage", runbook=_E, detected_by=("landing/click_events.arrived", f"{_C}.events_present")),
    Fault("duplicate_click_deliveries", "20 % of the day's click events are delivered a second time (same event_id, "
          "new offset, same folder): a consumer replaying offsets", ("click_events",), _duplicate_click_deliveries,
          failure_mode="duplicate-records", runbook=_E, detected_by=(f"{_C}.duplicate_rate",)),
    Fault("duplicate_clicks_new_ids", "5 % of the day's click events (at least one) are delivered again under a new "
          "event_id (same user, timestamp and payload)", ("click_events",), _duplicate_clicks_new_ids,
          failure_mode="duplicate-records", runbook=_E, detected_by=(f"{_C}.duplicate_rate",)),
    Fault("late_partition", "every click event of the day is delivered 49-72 h after it happened (beyond the 48 h "
          "SLA), so the day's folder holds only earlier days' late arrivals and the day has no countable event",
          ("click_events",), _late_partition, failure_mode="events-later-than-48h", runbook=_E,
          detected_by=(f"{_C}.late_share", f"{_C}.events_present"), may_also_fail=(f"{_C}.event_volume",)),
    Fault("late_events_backlog", "5 % of the day's click events (at least one) are delivered 49-72 h after they "
          "happened: a consumer backlog (the day's volume stays within 10 %)", ("click_events",), _late_events_backlog,
          failure_mode="events-later-than-48h", runbook=_E, detected_by=(f"{_C}.late_share",)),
    Fault("bot_wave_human_speed", f"scripted users with a normal browser user agent add {BOT_WAVE_SHARE:.0%} to the "
          f"day's events at {BOT_EVENTS_PER_HOUR} events an hour each (under the 300-per-hour rate rule), thousands "
          "of events per user and day", ("click_events",), _bot_wave_human_speed, failure_mode="bot-traffic",
          runbook=_E, detected_by=(f"{_C}.bot_share",)),
    Fault("clicks_wrong_timezone", "5 % of the users' clients stamp event_ts in IST with a 'Z' (5:30 ahead of UTC): "
          "their events look like they happened after they were received", ("click_events",), _clicks_wrong_timezone,
          failure_mode="timezone-day-boundary", runbook=_E, detected_by=(f"{_C}.quarantine_share",)),
    Fault("malformed_click_lines", "3 % of the day's click lines (at least one) are cut short mid-object (invalid "
          "JSON), as a crashed exporter leaves them", ("click_events",), _malformed_click_lines,
          failure_mode="schema-drift", runbook=_E, detected_by=(f"{_C}.quarantine_share",)),
    Fault("click_events_row_drop", "a producer release stops sending 'click' events: about 37 % of the day's events "
          "are missing", ("click_events",), _click_events_row_drop, failure_mode="row-count-drop", runbook=_E,
          detected_by=(f"{_C}.event_volume",)),
]
