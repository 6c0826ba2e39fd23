"""stg_click_events rules on a hand-built landing zone; every expected number is counted by hand below."""

import datetime as dt

import pytest

from pipeline_ops.engagement.clean import classify_events, clean_events, event_stats, read_click_events
from pipeline_ops_tests.engagement.landing import ev, write_click_events

pytestmark = pytest.mark.spark

D = dt.date(2025, 3, 2)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
HEADLESS = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0 Safari/537.36"


def _series(user: str, start: dt.datetime, n: int, step_s: int, prefix: str) -> list[dict]:
    return [
        ev(f"{prefix}{i:03d}", user, (start + dt.timedelta(seconds=i * step_s)).strftime("%Y-%m-%dT%H:%M:%SZ"),
           (start + dt.timedelta(seconds=i * step_s + 1)).strftime("%Y-%m-%dT%H:%M:%SZ"), event_type="click")
        for i in range(n)
    ]


def landing_lines() -> dict[str, list]:
    day = [
        # the same event delivered three times in D's folder (and once more in D+1's, below):
        ev("e_dup", "usr_a", "2025-03-02T10:00:00Z", "2025-03-02T10:00:01Z", kafka_partition=3, kafka_offset=100, page="/first"),
        ev("e_dup", "usr_a", "2025-03-02T10:00:00Z", "2025-03-02T10:00:01Z", kafka_partition=5, kafka_offset=7, page="/same-time-higher-partition"),
        ev("e_dup", "usr_a", "2025-03-02T10:00:00Z", "2025-03-02T10:05:00Z", kafka_partition=3, kafka_offset=250, page="/later"),
        # user-agent bots: 3 events
        ev("e_gbot1", "usr_gbot", "2025-03-02T11:00:00Z", "2025-03-02T11:00:01Z", user_agent=GOOGLEBOT),
        ev("e_gbot2", "usr_gbot", "2025-03-02T11:05:00Z", "2025-03-02T11:05:01Z", user_agent=GOOGLEBOT),
        ev("e_headless", "usr_hl", "2025-03-02T12:00:00Z", "2025-03-02T12:00:01Z", user_agent=HEADLESS),
        # rate bot: 301 events 10 s apart from 10:30:00 to 11:20:00 = 301 in one 60-min window (> 300),
        # split 180 / 121 across the clock hours 10 and 11, so only a sliding window catches it
        *_series("usr_rate", dt.datetime(2025, 3, 2, 10, 30), 301, 10, "e_rate"),
        # busy human: 300 events 12 s apart 14:00:00..14:59:48 = exactly 300 in an hour: not > 300, kept
        *_series("usr_busy", dt.datetime(2025, 3, 2, 14, 0), 300, 12, "e_busy"),
        "{not json",                                                                                        # malformed
        ev("e_nouser", None, "2025-03-02T09:00:00Z", "2025-03-02T09:00:01Z"),                              # missing user_id
        ev("e_noz", "usr_b", "2025-03-02T09:00:00", "2025-03-02T09:00:01Z"),                               # unparsable (no zone)
        ev("e_garbage", "usr_b", "garbage", "2025-03-02T09:00:01Z"),                                       # unparsable
        ev("e_1999", "usr_b", "1999-12-31T23:00:00Z", "2025-03-02T09:00:01Z"),                             # impossible (< 2000)
        ev("e_future", "usr_b", "2025-03-02T09:10:01Z", "2025-03-02T09:00:00Z"),                           # impossible (+10:01 > 5 min)
        ev("e_skew", "usr_b", "2025-03-02T09:04:00Z", "2025-03-02T09:00:00Z"),                             # +4 min skew: kept
        ev("e_prev", "usr_c", "2025-03-01T23:50:00Z", "2025-03-02T00:10:00Z"),                             # D-1's event: other day
        ev("e_badtype", "usr_b", "2025-03-02T09:00:00Z", "2025-03-02T09:00:01Z", kafka_offset="abc"),     # malformed (type)
    ]
    next_day = [
        ev("e_late", "usr_late", "2025-03-02T23:30:00Z", "2025-03-03T01:00:00Z"),                          # late 1.5 h: kept for D
        ev("e_next", "usr_c", "2025-03-03T09:00:00Z", "2025-03-03T09:00:01Z"),                             # D+1's event
        "also not json",                                                                                    # counted for D+1, not D
        ev("e_dup", "usr_a", "2025-03-02T10:00:00Z", "2025-03-03T02:00:00Z", kafka_partition=3, kafka_offset=999),  # duplicate
    ]
    day_after = [
        ev("e_toolate", "usr_d", "2025-03-02T00:30:00Z", "2025-03-04T00:30:01Z"),                          # 48 h 0 min 1 s: too late
        ev("e_48h", "usr_d", "2025-03-02T01:00:00Z", "2025-03-04T01:00:00Z"),                              # exactly 48 h: kept
    ]
    return {"2025-03-02": day, "2025-03-03": next_day, "2025-03-04": day_after}


@pytest.fixture(scope="module")
def classified(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("landing")
    write_click_events(root, landing_lines())
    paths = [f"file://{p}" for p in sorted(root.glob("click_events/*/*.jsonl"))]
    return classify_events(read_click_events(spark, paths), [D], lateness_hours=48).cache()


def test_counts_by_category(classified):
    stats, lines = event_stats(classified, [D])
    rows = {c: v["rows"] for c, v in stats["2025-03-02"].items()}
    # D's folder: 3 dup + 3 UA-bot + 301 rate + 300 busy + 9 single lines = 616; D+1: e_late and e_dup
    # (its other 2 lines are D+1's own business, left to D+1's run); D+2: 2
    assert lines == 620
    assert rows == {
        "malformed": 2,          # "{not json", kafka_offset "abc" (D+1's bad line belongs to D+1)
        "missing_user_id": 1,
        "unparsable_ts": 2,      # no zone, "garbage"
        "impossible_ts": 2,      # 1999, 10:01 in the future
        "duplicate": 3,          # e_dup: 4 deliveries, 1 kept
        "too_late": 1,           # e_toolate
        "bot_user_agent": 3,     # Googlebot x2, HeadlessChrome
        "bot_rate": 301,         # usr_rate
        "clean": 304,            # e_dup + e_skew + 300 busy + e_late + e_48h
    }
    assert stats["2025-03-02"]["bot_rate"]["users"] == 1


def test_clean_events_first_delivery_late_and_day(classified):
    out = {r["event_id"]: r for r in clean_events(classified, "v").collect()}
    assert len(out) == 304
    assert out["e_dup"]["page"] == "/first"  # earliest received_ts, then lowest kafka_partition
    assert out["e_dup"]["received_ts"] == dt.datetime(2025, 3, 2, 10, 0, 1)
    assert out["e_dup"]["is_late"] is False
    assert out["e_late"]["is_late"] is True and out["e_late"]["date"] == D  # attached to its own day
    assert out["e_48h"]["is_late"] is True
    assert {"e_toolate", "e_prev", "e_next", "e_nouser", "e_skew"} & set(out) == {"e_skew"}
    assert not any(k.startswith("e_rate") for k in out) and sum(k.startswith("e_busy") for k in out) == 300
    assert {r["definition_version"] for r in out.values()} == {"v"}
    assert {r["date"] for r in out.values()} == {D}


def test_set_aside_sample_names_file_and_line(classified):
    from pipeline_ops.engagement.clean import set_aside_sample

    sample = set_aside_sample(classified, [D], n=10)
    # 7 set-aside lines of D's folder: 2 malformed, 1 missing user_id, 2 unparsable, 2 impossible
    assert len(sample) == 7 and all("date=2025-03-02" in s["file"] for s in sample)
    assert {s["line"] for s in sample if s["category"] == "malformed"} >= {"{not json"}
    # the line exactly as delivered (json.dumps spacing), not a re-serialisation of the parsed fields
    assert any(s["line"].startswith('{"event_id": "e_garbage", "user_id": "usr_b", "event_ts": "garbage", ')
               for s in sample if s["category"] == "unparsable_ts")
