"""The fixture builder writes files the real landing reader accepts, for CSV and JSON-lines sources."""

import datetime as dt

import pandas as pd

from pipeline_ops.landing.reader import LandingZone
from pipeline_ops_tests.fixtures.landing_builder import LandingBuilder


def test_csv_and_jsonl_round_trip_through_the_reader(tmp_path):
    zone = LandingBuilder(tmp_path)
    zone.write("salaries", "2025-03-17", [{"month": "2025-03", "team": "sales", "headcount": 2, "amount": 10.5, "currency": "EUR"}])
    zone.write("click_events", "2025-03-02", [{
        "event_id": "e1", "user_id": "usr_1", "account_id": "acc_1", "event_ts": dt.datetime(2025, 3, 1, 23, 59, tzinfo=dt.timezone.utc),
        "received_ts": "2025-03-02T00:00:05Z", "event_type": "page_view", "feature": None, "page": "/home",
        "user_agent": "Mozilla", "kafka_partition": 3, "kafka_offset": 42,
    }])
    reader = LandingZone(zone.url)
    salaries = reader.read("salaries", [dt.date(2025, 3, 31)])  # monthly: the folder of the 1st
    assert salaries["amount"].tolist() == [10.5] and salaries["_file"].str.contains("date=2025-03-01").all()
    clicks = reader.read("click_events", [dt.date(2025, 3, 2)])
    assert clicks["event_ts"].iloc[0] == pd.Timestamp("2025-03-01T23:59:00Z") and pd.isna(clicks["feature"].iloc[0])
    assert (zone.folder("click_events", "2025-03-02") / "part-0000.jsonl").exists()
