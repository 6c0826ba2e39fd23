"""Each catalogued data fault changes what it says and nothing else, and `write_from` is exact.

The landing zone is the fault matrix's (2025-01-01 + 36 days, scale 0.1, seed 7; the last day
2025-02-05 is a Wednesday with data in every source), written from 2025-02-01 on only: the same
bytes a full run writes there (`test_write_from_writes_the_bytes_of_a_full_run`), in a second.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline_ops.generate import finance, generate_landing
from pipeline_ops.generate.common import days_in_month
from pipeline_ops.generate.faults import FAULTS
from pipeline_ops.generate.faults.engagement import BOT_EVENTS_PER_HOUR, BOT_WAVE_SHARE
from pipeline_ops.engagement.rules import BOT_RULES
from pipeline_ops.landing.reader import LandingZone
from pipeline_ops_tests.generate.conftest import read_csv_raw, tree_bytes

START, LAST, SCALE, SEED = dt.date(2025, 1, 1), dt.date(2025, 2, 5), 0.1, 7
DAYS = (LAST - START).days + 1
FROM = LAST.replace(day=1)  # the month's salaries folder is written too


def _generate(root: Path, **kw) -> Path:
    generate_landing(str(root), START, DAYS, scale=SCALE, seed=SEED, **kw)
    return root


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    return _generate(tmp_path_factory.mktemp("clean") / "landing", write_from=FROM)


def faulty(clean: Path, tmp_path: Path, name: str) -> Path:
    fault = FAULTS[name]
    day = LAST - dt.timedelta(days=fault.lag_days)
    root = tmp_path / name
    shutil.copytree(clean, root, copy_function=os.link)  # the writer replaces files by rename: clean stays clean
    return _generate(root, sources=fault.sources, faults=[(fault, day)], write_from=day)


def _diff(a: Path, b: Path) -> set[str]:
    ta, tb = tree_bytes(a), tree_bytes(b)
    return {k for k in ta.keys() | tb.keys() if ta.get(k) != tb.get(k)}


def _csv(root: Path, source: str, day: dt.date, name: str) -> pd.DataFrame:
    return read_csv_raw(root / source / f"date={day}" / name)


def _clicks(root: Path) -> pd.DataFrame:
    folders = [LAST + dt.timedelta(days=i) for i in range(4)]
    return LandingZone(str(root)).read("click_events", folders, required=False)


def test_write_from_writes_the_bytes_of_a_full_run(tmp_path):
    fault = FAULTS["duplicate_clicks_new_ids"]
    full = _generate(tmp_path / "full", sources=["accounts", "click_events"], faults=[(fault, LAST)])
    part = _generate(tmp_path / "part", sources=["accounts", "click_events"], faults=[(fault, LAST)], write_from=FROM)
    written = tree_bytes(part)
    assert written and {k: v for k, v in tree_bytes(full).items() if k in written} == written
    assert all(k.split("/")[1] >= f"date={FROM}" for k in written)
    with pytest.raises(ValueError, match="before write_from"):
        _generate(tmp_path / "bad", faults=[(fault, START)], write_from=FROM)


@pytest.mark.parametrize("name", list(FAULTS))
def test_fault_changes_only_its_sources_from_its_day(clean, tmp_path, name):
    fault = FAULTS[name]
    day = LAST - dt.timedelta(days=fault.lag_days)
    changed = _diff(clean, faulty(clean, tmp_path, name))
    assert changed, f"{name} changed nothing"
    assert {p.split("/")[0] for p in changed} <= set(fault.sources)
    assert all(p.split("/")[1] >= f"date={day.replace(day=1) if p.startswith('salaries') else day}" for p in changed)
    assert _diff(clean, faulty(clean, tmp_path / "again", name)) == changed  # deterministic


@pytest.mark.parametrize("name, source, key, file", [
    ("revenue_duplicate_new_ids", "revenue", "invoice_id", "invoices.csv"),
    ("duplicate_subscription_events_new_ids", "subscription_events", "event_id", "subscription_events.csv"),
    ("duplicate_accounts_new_ids", "accounts", "account_id", "accounts.csv"),
])
def test_duplicates_with_new_ids_repeat_every_other_column(clean, tmp_path, name, source, key, file):
    before, after = _csv(clean, source, LAST, file), _csv(faulty(clean, tmp_path, name), source, LAST, file)
    added = after[~after[key].isin(set(before[key]))]
    assert len(added) >= (2 if source == "accounts" else 1) and after[key].is_unique
    rest = [c for c in before.columns if c != key]
    assert set(map(tuple, added[rest].to_numpy())) <= set(map(tuple, before[rest].to_numpy()))


def test_duplicate_clicks_new_ids_keep_user_time_and_payload(clean, tmp_path):
    before, after = _clicks(clean), _clicks(faulty(clean, tmp_path, "duplicate_clicks_new_ids"))
    added = after[~after["event_id"].isin(set(before["event_id"]))]
    of_day = before[before["event_ts"].dt.date == LAST]["event_id"].nunique()
    assert 0.04 * of_day < len(added) < 0.06 * of_day
    same = ["user_id", "account_id", "event_ts", "event_type", "feature", "page", "user_agent", "kafka_partition"]
    assert set(map(tuple, added[same].astype(str).to_numpy())) <= set(map(tuple, before[same].astype(str).to_numpy()))


def test_bot_wave_stays_under_the_rate_rule_with_a_human_user_agent(clean, tmp_path):
    before, after = _clicks(clean), _clicks(faulty(clean, tmp_path, "bot_wave_human_speed"))
    wave = after[~after["event_id"].isin(set(before["event_id"]))]
    of_day = before[before["event_ts"].dt.date == LAST]["event_id"].nunique()
    assert len(wave) == round(BOT_WAVE_SHARE * of_day) and BOT_EVENTS_PER_HOUR < BOT_RULES.max_events_per_hour
    assert not wave["user_agent"].str.contains(BOT_RULES.user_agent_pattern, case=False).any()
    for _, ts in after[after["user_id"].isin(set(wave["user_id"]))].groupby("user_id")["event_ts"]:
        ts = np.sort(((ts - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(milliseconds=1)).to_numpy())
        in_hour = np.searchsorted(ts, ts + 3_600_000, side="left") - np.arange(len(ts))
        assert in_hour.max() <= BOT_RULES.max_events_per_hour  # the rule fires above 300 in any 60 minutes
    assert wave.groupby("user_id").size().min() > 1000  # no human does a thousand events a day


def test_clicks_wrong_timezone_moves_event_time_by_ist_offset_only(clean, tmp_path):
    before, after = _clicks(clean), _clicks(faulty(clean, tmp_path, "clicks_wrong_timezone"))
    key = ["event_id", "kafka_partition", "kafka_offset"]  # one delivery (redeliveries share received_ts)
    merged = before.merge(after, on=key, suffixes=("", "_after"))
    assert len(merged) == len(before) == len(after)
    shift = (merged["event_ts_after"] - merged["event_ts"]).dt.total_seconds()
    moved = merged[shift != 0]
    assert set(shift.unique()) == {0.0, 5.5 * 3600} and (moved["event_ts"].dt.date == LAST).all()
    users = before[before["event_ts"].dt.date == LAST]["user_id"].nunique()
    assert moved["user_id"].nunique() == round(0.05 * users)


def test_malformed_lines_are_cut_short(clean, tmp_path):
    root = faulty(clean, tmp_path, "malformed_click_lines")
    lines = (root / "click_events" / f"date={LAST}" / "part-0000.jsonl").read_text().splitlines()
    bad = 0
    for line in lines:
        try:
            json.loads(line)
        except ValueError:
            bad += 1
    assert 0.02 * len(lines) < bad < 0.04 * len(lines)


def test_kafka_outage_leaves_one_empty_file_and_loses_the_day(clean, tmp_path):
    root = faulty(clean, tmp_path, "kafka_outage")
    folder = root / "click_events" / f"date={LAST}"
    assert [p.name for p in folder.iterdir()] == ["part-0000.jsonl"] and (folder / "part-0000.jsonl").stat().st_size == 0
    assert not (_clicks(root)["event_ts"].dt.date == LAST).any()


def test_late_events_backlog_delays_five_percent_beyond_48_hours(clean, tmp_path):
    after = _clicks(faulty(clean, tmp_path, "late_events_backlog"))
    day = after[after["event_ts"].dt.date == LAST]
    lag_h = (day["received_ts"] - day["event_ts"]).dt.total_seconds() / 3600
    late = day[lag_h.between(49, 72)]["event_id"].nunique()
    assert 0.045 < late / day["event_id"].nunique() < 0.065  # 5 % plus the clean stream's own rare ones


def test_cost_spike_raises_the_days_total_cost_by_twelve_percent(clean, tmp_path):
    before = _csv(clean, "expenses", LAST, "expenses.csv")
    after = _csv(faulty(clean, tmp_path, "cost_spike"), "expenses", LAST, "expenses.csv")
    rates = _csv(clean, "fx_rates", LAST, "fx_rates.csv").set_index("currency")["usd_per_unit"].astype(float)
    usd = lambda f: float((f["amount"].astype(float) * f["currency"].map(rates)).sum())  # noqa: E731
    payroll = finance.salaries(SEED, LAST.replace(day=1), START, SCALE)
    payroll_day = float((payroll["amount"] * payroll["currency"].map(rates)).sum()) / days_in_month(LAST)
    total = usd(before) + payroll_day
    assert (usd(after) - usd(before)) / total == pytest.approx(0.12, abs=0.002)  # cents rounding
    assert list(after["expense_id"]) == list(before["expense_id"])


def test_schema_faults_write_what_a_broken_upstream_writes(clean, tmp_path):
    revenue = _csv(faulty(clean, tmp_path, "schema_new_column"), "revenue", LAST, "invoices.csv")
    assert revenue.columns[-1] == "source_system" and (revenue["source_system"] == "billing-v2").all()
    accounts = _csv(faulty(clean, tmp_path, "int_widened_to_decimal"), "accounts", LAST, "accounts.csv")
    assert accounts["licences"].str.fullmatch(r"-?\d+\.0").all()
    snap = _csv(faulty(clean, tmp_path, "nullability_flip"), "experiment_assignments", LAST, "assignments.csv")
    assert snap["assigned_at"].isna().mean() == pytest.approx(0.10, abs=0.002)


def test_growth_faults(clean, tmp_path):
    base = _csv(clean, "accounts", LAST, "accounts.csv")
    active = set(base.loc[base["status"] == "active", "account_id"])
    kept = _csv(faulty(clean, tmp_path, "accounts_missing_slice"), "accounts", LAST, "accounts.csv")
    missing = active - set(kept["account_id"])
    assert len(missing) == round(0.03 * len(active))
    events = _csv(faulty(clean, tmp_path, "impossible_growth"), "subscription_events", LAST, "subscription_events.csv")
    churned = set(events.loc[events["event_type"] == "churn", "account_id"])
    assert churned and churned <= active and events["event_id"].is_unique
    snap = _csv(faulty(clean, tmp_path, "experiment_exclusions_dropped"), "experiment_assignments", LAST, "assignments.csv")
    assert (snap["exclude_from_investor"] == "false").all()
    payroll = _csv(faulty(clean, tmp_path, "salaries_new_team"), "salaries", LAST.replace(day=1), "salaries.csv")
    assert payroll["team"].tolist()[-1] == "data_platform" and len(payroll) == 6
