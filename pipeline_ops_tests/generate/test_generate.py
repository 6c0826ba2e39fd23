"""The synthetic company: contract conformance, determinism, internal consistency, click realism."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pipeline_ops.generate import generate_landing
from pipeline_ops.landing.contract import SOURCES
from pipeline_ops.landing.reader import LandingError, LandingZone
from pipeline_ops_tests.generate.conftest import DAYS, END, SCALE, START, day_range, read_csv_raw, tree_bytes

CLICK_FOLDERS = day_range(START, DAYS + 4)  # late deliveries land up to 72 h after the last day


def _reader_treats_na_as_null(tmp_path) -> bool:
    """The landing reader uses pyarrow's default null markers, which include 'NA' (a contract region)."""
    folder = tmp_path / "probe" / "fx_rates" / "date=2025-01-01"
    folder.mkdir(parents=True)
    (folder / "fx_rates.csv").write_text("rate_date,currency,usd_per_unit\n2025-01-01,NA,1.0\n")
    try:
        LandingZone(str(tmp_path / "probe")).read("fx_rates", [dt.date(2025, 1, 1)])
    except LandingError:
        return True
    return False


def test_same_arguments_give_identical_bytes(landing, tmp_path):
    root, _ = landing
    again = generate_landing(str(tmp_path / "again"), START, DAYS, scale=SCALE, seed=11)
    assert tree_bytes(root) == tree_bytes(tmp_path / "again")
    assert again.rows == landing[1].rows
    other_seed = generate_landing(str(tmp_path / "other"), START, 2, scale=SCALE, seed=12, sources=["accounts"])
    assert other_seed.rows["accounts"] > 0
    assert tree_bytes(tmp_path / "other") != {k: v for k, v in tree_bytes(root).items() if k.startswith("accounts")}


@pytest.mark.parametrize("name", list(SOURCES))
def test_every_source_reads_back_within_contract(landing, name, tmp_path):
    root, summary = landing
    lz = LandingZone(str(root))
    days = CLICK_FOLDERS if name == "click_events" else day_range(START, DAYS)
    try:
        frame = lz.read(name, days, required=name != "click_events")
    except LandingError as exc:
        if name == "accounts" and "'region'" in str(exc) and _reader_treats_na_as_null(tmp_path):
            pytest.xfail("landing reader reads region 'NA' as null (pyarrow default null_values); see report")
        raise
    src = SOURCES[name]
    assert len(frame) == summary.rows[name] > 0
    for col in src.columns:
        if col.allowed:
            values = set(frame[col.name].dropna().unique())
            assert values <= set(col.allowed), (name, col.name, values - set(col.allowed))
    key = frame.drop_duplicates("event_id") if name == "click_events" else frame
    per_file = key.groupby("_file") if src.cadence == "daily" and name != "click_events" else [(None, key)]
    for _, part in per_file:
        assert not part.duplicated(list(src.key)).any(), f"{name}: duplicate key"


def test_folder_dates_match_record_dates(landing):
    root, _ = landing
    lz = LandingZone(str(root))
    days = day_range(START, DAYS)
    for name, col in [("fx_rates", "rate_date"), ("expenses", "expense_date")]:
        frame = lz.read(name, days)
        folder = frame["_file"].str.extract(r"date=(\d{4}-\d\d-\d\d)")[0]
        assert (frame[col].astype(str) == folder).all()
    for name, col in [("subscription_events", "event_ts"), ("revenue", "issued_at")]:
        frame = lz.read(name, days)
        folder = frame["_file"].str.extract(r"date=(\d{4}-\d\d-\d\d)")[0]
        assert (frame[col].dt.strftime("%Y-%m-%d") == folder).all()
    fx = lz.read("fx_rates", days)
    assert (fx["usd_per_unit"] > 0).all() and (fx.loc[fx.currency == "USD", "usd_per_unit"] == 1.0).all()
    levels = fx.groupby("currency")["usd_per_unit"].mean()
    for cur, level in {"EUR": 1.08, "GBP": 1.27, "INR": 0.012, "JPY": 0.0067, "BRL": 0.19}.items():
        assert abs(levels[cur] / level - 1) < 0.1
    salaries = lz.read("salaries", days)
    assert set(salaries["month"]) == {"2025-01", "2025-02"}  # --start is mid-month: its month is written too
    assert (root / "salaries" / "date=2025-01-01" / "salaries.csv").exists()


def _apply_events(before: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Independent re-implementation: replay a day's events on the previous snapshot."""
    state = before.set_index("account_id")[["plan", "status", "licences", "mrr", "currency"]].copy()
    for ev in events.itertuples():
        if ev.event_type == "new":
            assert ev.account_id not in state.index
            state.loc[ev.account_id] = [ev.plan_after, "active", int(ev.licences_after), float(ev.mrr_after), ev.currency]
            continue
        row = state.loc[ev.account_id]
        assert row.status == "active", ev
        assert (row.plan, int(row.licences), float(row.mrr)) == (ev.plan_before, int(ev.licences_before), float(ev.mrr_before)), ev
        if ev.event_type == "churn":
            state.loc[ev.account_id, ["plan", "status", "licences", "mrr"]] = [row.plan, "churned", 0, 0.0]
        else:
            state.loc[ev.account_id, ["plan", "licences", "mrr"]] = [ev.plan_after, int(ev.licences_after), float(ev.mrr_after)]
    return state.sort_index()


def test_applying_a_days_events_to_the_previous_snapshot_gives_the_next(tmp_path):
    root = tmp_path / "company"
    generate_landing(str(root), START, 10, scale=0.6, seed=2, sources=["accounts", "subscription_events"])
    seen_types = set()
    for day in day_range(START + dt.timedelta(days=1), 9):
        prev = read_csv_raw(root / "accounts" / f"date={day - dt.timedelta(days=1)}" / "accounts.csv")
        snap = read_csv_raw(root / "accounts" / f"date={day}" / "accounts.csv")
        events = read_csv_raw(root / "subscription_events" / f"date={day}" / "subscription_events.csv").fillna("")
        seen_types |= set(events["event_type"])
        assert not events["account_id"].duplicated().any()  # at most one change per account per day
        got = _apply_events(prev, events)
        want = snap.set_index("account_id")[["plan", "status", "licences", "mrr", "currency"]].sort_index()
        pd.testing.assert_frame_equal(got.astype(str).replace(r"\.0$", "", regex=True), want.astype(str).replace(r"\.0$", "", regex=True))
    snap = read_csv_raw(root / "accounts" / f"date={day}" / "accounts.csv")
    mrr = snap["mrr"].astype(float)
    assert np.allclose(mrr, (snap["licences"].astype(int) * snap["price_per_licence"].astype(float)).round(2) * (snap["status"] == "active"))
    assert set(snap["region"]) >= {"NA", "EU"} and snap["churned_at"].notna().sum() == (snap["status"] == "churned").sum()
    assert seen_types == set(SOURCES["subscription_events"].column("event_type").allowed)


def test_month_end_invoicing_spike(landing):
    root, _ = landing
    counts = {d: len(read_csv_raw(root / "revenue" / f"date={d}" / "invoices.csv")) for d in day_range(START, DAYS)}
    month_end = counts.pop(dt.date(2025, 1, 31))
    active = (read_csv_raw(root / "accounts" / "date=2025-01-31" / "accounts.csv")["status"] == "active").sum()
    assert month_end > 3 * max(counts.values()) and month_end > 0.3 * active
    inv = read_csv_raw(root / "revenue" / "date=2025-01-31" / "invoices.csv")
    assert len(set(inv["currency"])) >= 3 and (inv["amount"].astype(float) > 0).all()


def test_click_deliveries_duplicates_late_events_and_bots(landing):
    root, _ = landing
    clicks = LandingZone(str(root)).read("click_events", CLICK_FOLDERS, required=False)
    assert all((root / "click_events" / f"date={d}").is_dir() for d in day_range(START, DAYS))
    folder = clicks["_file"].str.extract(r"date=(\d{4}-\d\d-\d\d)")[0]
    assert (clicks["received_ts"].dt.strftime("%Y-%m-%d") == folder).all()
    assert (clicks["received_ts"] >= clicks["event_ts"]).all()
    first = clicks.sort_values("received_ts").drop_duplicates("event_id")
    assert first["event_ts"].min() >= pd.Timestamp(START, tz="UTC")
    assert first["event_ts"].max() < pd.Timestamp(END + dt.timedelta(days=1), tz="UTC")
    dup_share = len(clicks) / len(first) - 1
    assert 0.006 < dup_share < 0.015
    again = clicks[clicks.duplicated("event_id", keep=False)].groupby("event_id")["kafka_offset"].nunique()
    assert (again > 1).all()  # a redelivery has a new offset
    lag = (first["received_ts"] - first["event_ts"]).dt.total_seconds()
    assert 0.02 < (lag >= 3600).mean() < 0.04 and lag.max() <= 72 * 3600 + 1
    assert (first["event_ts"].dt.date < first["received_ts"].dt.date).sum() > 0  # some land in later folders
    ua_bot = first["user_agent"].str.contains("bot|crawler|spider|HeadlessChrome", case=False)
    assert 0.008 < ua_bot.mean() < 0.03
    assert (first["feature"].notna() == (first["event_type"] == "feature_use")).all()
    assert not clicks.duplicated(["kafka_partition", "kafka_offset"]).any()
    # Sessions: most gaps between a human user's consecutive events are short, the rest exceed 30 min.
    human = first[~ua_bot].sort_values(["user_id", "event_ts"])
    gaps = human.groupby("user_id")["event_ts"].diff().dt.total_seconds().dropna()
    assert (gaps < 1800).mean() > 0.8 and ((gaps > 1500) & (gaps < 1860)).mean() < 0.01
    # Only users of accounts active that day act.
    snap = read_csv_raw(root / "accounts" / f"date={START}" / "accounts.csv")
    day0 = first[first["event_ts"].dt.date == START]
    assert set(day0["account_id"]) <= set(snap.loc[snap["status"] == "active", "account_id"])


def test_weekday_traffic_exceeds_weekend(tmp_path):
    generate_landing(str(tmp_path), dt.date(2025, 3, 3), 7, scale=0.02, seed=3, sources=["click_events"])
    clicks = LandingZone(str(tmp_path)).read("click_events", day_range(dt.date(2025, 3, 3), 11), required=False)
    per_day = clicks.drop_duplicates("event_id").groupby(clicks["event_ts"].dt.dayofweek).size()
    assert 1.2 < per_day[:5].mean() / per_day[5:].mean() < 1.6


def test_experiment_exclusion_share(landing):
    root, _ = landing
    frame = read_csv_raw(root / "experiment_assignments" / f"date={END}" / "assignments.csv")
    snap = read_csv_raw(root / "accounts" / f"date={END}" / "accounts.csv")
    excluded = frame[frame["exclude_from_investor"] == "true"]
    assert set(frame["exclude_from_investor"]) == {"true", "false"}
    assert 0 < excluded["unit_id"].nunique() < 0.05 * (snap["status"] == "active").sum() * 10
    assert set(frame["unit_type"]) == {"account", "user"}


def test_scale_is_linear(tmp_path):
    small = generate_landing(str(tmp_path / "a"), START, 2, scale=0.02, seed=5)
    big = generate_landing(str(tmp_path / "b"), START, 2, scale=0.04, seed=5)
    for name in ("accounts", "click_events", "experiment_assignments"):
        assert 1.6 < big.rows[name] / small.rows[name] < 2.5, name


def test_sources_restrict_output_and_rerun_overwrites(tmp_path):
    root = tmp_path / "l"
    generate_landing(str(root), START, 2, scale=0.01, seed=1, sources=["fx_rates", "accounts"])
    assert sorted(p.name for p in root.iterdir()) == ["accounts", "fx_rates"]
    before = tree_bytes(root)
    generate_landing(str(root), START, 2, scale=0.01, seed=1, sources=["fx_rates", "accounts"])
    assert tree_bytes(root) == before
    assert not [p for p in root.rglob("*") if ".tmp-" in p.name]  # staging names never left behind
