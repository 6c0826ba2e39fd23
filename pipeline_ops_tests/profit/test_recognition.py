"""Revenue recognition (profit/recognition.py) by hand, the service periods the generator writes,
and the smoothness of the recognised daily series on generated data.

Every expected value is worked out in the comments; none is taken from the code under test.
"""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pipeline_ops.profit import recognition
from pipeline_ops.profit.transform import stage_revenue
from pipeline_ops.staging.common import DataContractError

JAN_1 = dt.date(2025, 1, 1)


def _days(first: str, last: str) -> list[dt.date]:
    return [d.date() for d in pd.date_range(first, last, freq="D")]


def _docs(*rows) -> pd.DataFrame:
    """(invoice_id, account, issue day, amount_usd signed, service_start, service_end[, excluded])"""
    frame = pd.DataFrame([r if len(r) == 7 else (*r, False) for r in rows], columns=[
        "invoice_id", "account_id", "date", "amount_usd", "service_start", "service_end", "exclude_from_investor"])
    for col in ("date", "service_start", "service_end"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
    frame["kind"] = np.where(frame["amount_usd"] < 0, "refund", "invoice")
    frame["service_days"] = (frame["service_end"] - frame["service_start"]).dt.days + 1
    return frame


def _by_day(docs: pd.DataFrame, first: str, last: str, column: str = "recognised_usd") -> dict[str, float]:
    out = recognition.recognise(docs, _days(first, last), JAN_1)
    return out.groupby(out["date"].dt.strftime("%Y-%m-%d"))[column].sum().to_dict()


def test_monthly_invoice_is_spread_evenly_over_its_days():
    # 310 USD billed on Mar 5 for Mar 5 .. Apr 4 (27 + 4 = 31 days): 10 a day, nothing outside.
    got = _by_day(_docs(("inv", "a", "2025-03-05", 310.0, "2025-03-05", "2025-04-04")), "2025-03-01", "2025-04-10")
    assert got == pytest.approx({d.isoformat(): 10.0 for d in _days("2025-03-05", "2025-04-04")})
    assert sum(got.values()) == pytest.approx(310.0)


def test_proration_adds_its_daily_share_until_the_next_billing_day():
    # Billed on the 1st: 310 for March (10 a day). Upgrade on Mar 20 from 310 to 620 MRR: prorated
    # 310 x 12/31 = 120 for Mar 20 .. Mar 31 (12 days): another 10 a day from the 20th.
    docs = _docs(("inv_m", "a", "2025-03-01", 310.0, "2025-03-01", "2025-03-31"),
                 ("inv_p", "a", "2025-03-20", 120.0, "2025-03-20", "2025-03-31"))
    got = _by_day(docs, "2025-03-01", "2025-03-31")
    assert got == pytest.approx({d.isoformat(): (20.0 if d.day >= 20 else 10.0) for d in _days("2025-03-01", "2025-03-31")})


def test_refunds_are_recognised_negatively_and_never_restate_earlier_days():
    # March invoice 310 (10 a day). A service credit of 62 issued Mar 10 for the whole of March
    # (2 a day): its 10 days already past (Mar 1..10) are caught up on Mar 10 (-20), then -2 a day.
    # A churn refund of 70 issued Mar 25 for Mar 25..31 (7 days): -10 a day, so those days net 10 - 2 - 10.
    docs = _docs(("inv", "a", "2025-03-01", 310.0, "2025-03-01", "2025-03-31"),
                 ("ref_credit", "a", "2025-03-10", -62.0, "2025-03-01", "2025-03-31"),
                 ("ref_churn", "a", "2025-03-25", -70.0, "2025-03-25", "2025-03-31"))
    got = _by_day(docs, "2025-03-01", "2025-03-31")
    want = {d.isoformat(): 10.0 if d.day < 10 else -10.0 if d.day == 10 else 8.0 if d.day < 25 else -2.0
            for d in _days("2025-03-01", "2025-03-31")}
    assert got == pytest.approx(want)
    refunds = _by_day(docs, "2025-03-01", "2025-03-31", "recognised_refunds_usd")
    assert refunds["2025-03-09"] == 0.0 and refunds["2025-03-10"] == pytest.approx(20.0)
    assert refunds["2025-03-31"] == pytest.approx(12.0)
    assert sum(got.values()) == pytest.approx(310.0 - 62.0 - 70.0)


def test_period_crossing_a_month_end_is_split_between_the_months():
    # A month-end run on Jan 31 bills February (280 for 28 days: 10 a day from Feb 1, nothing on Jan 31);
    # a billing-day-15 account pays 310 on Jan 15 for Jan 15 .. Feb 14 (17 + 14 = 31 days: 10 a day).
    docs = _docs(("inv_me", "a", "2025-01-31", 280.0, "2025-02-01", "2025-02-28"),
                 ("inv_15", "b", "2025-01-15", 310.0, "2025-01-15", "2025-02-14"))
    got = pd.Series(_by_day(docs, "2025-01-01", "2025-03-31"))
    by_month = got.groupby(got.index.str[:7]).sum()
    assert by_month.to_dict() == pytest.approx({"2025-01": 170.0, "2025-02": 140.0 + 280.0})
    assert got["2025-01-31"] == pytest.approx(10.0) and got["2025-02-14"] == pytest.approx(20.0)
    assert got["2025-02-15"] == pytest.approx(10.0) and "2025-03-01" not in got


def test_a_day_recognises_the_same_whatever_else_is_in_the_run():
    docs = _docs(("inv_15", "b", "2025-01-15", 310.0, "2025-01-15", "2025-02-14"),
                 ("ref", "b", "2025-01-20", -31.0, "2025-01-15", "2025-02-14", True))
    alone = recognition.recognise(docs, _days("2025-02-01", "2025-02-01"), JAN_1)
    in_range = recognition.recognise(docs, _days("2025-01-10", "2025-02-20"), JAN_1)
    row = in_range[in_range["date"] == pd.Timestamp("2025-02-01")].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone.reset_index(drop=True), row, check_exact=True)
    # 10 - 1 a day; the refund was issued while b was excluded: investor revenue keeps the invoice only
    assert (row.loc[0, "recognised_usd"], row.loc[0, "investor_recognised_usd"]) == pytest.approx((9.0, 10.0))


def test_first_month_boundary_flag_and_lookback_window():
    # History starts at partitions_start when the lake has it, else at the lake's first partition.
    assert recognition.history_start(JAN_1, ["2025-01-01", "2025-01-02"]) == JAN_1
    assert recognition.history_start(JAN_1, ["2025-03-01"]) == dt.date(2025, 3, 1)
    assert recognition.history_start(JAN_1, []) == JAN_1
    # Day D sees documents issued D-31 .. D: complete from Jan 1 + 31 days = Feb 1.
    assert not recognition.complete(dt.date(2025, 1, 31), JAN_1) and recognition.complete(dt.date(2025, 2, 1), JAN_1)
    assert recognition.lookback_keys([dt.date(2025, 2, 1)], JAN_1) == [d.isoformat() for d in _days("2025-01-01", "2025-02-01")]
    assert recognition.lookback_keys([dt.date(2025, 1, 10)], JAN_1)[0] == "2025-01-01"  # never before the history
    docs = _docs(("inv", "a", "2025-01-31", 280.0, "2025-02-01", "2025-02-28"),
                 ("inv_15", "b", "2025-01-15", 310.0, "2025-01-15", "2025-02-14"))
    flags = recognition.recognise(docs, _days("2025-01-31", "2025-02-02"), JAN_1)
    assert dict(zip(flags["date"].dt.strftime("%m-%d"), flags["recognition_complete"])) == \
        {"01-31": False, "02-01": True, "02-02": True}
    meta = recognition.run_metadata(_days("2025-01-30", "2025-02-02"), JAN_1, 33)
    assert (meta["recognition_complete"], meta["incomplete_days"], meta["incomplete_days_range"]) == \
        (False, 2, "2025-01-30..2025-01-31")


def test_missing_lookback_partitions_are_named():
    with pytest.raises(DataContractError, match=r"2 stg_revenue_usd partition\(s\).*\['2025-01-05', '2025-01-07'\]"):
        recognition.require_partitions(["2025-01-05", "2025-01-06", "2025-01-07"], {"2025-01-06"}, JAN_1)


@pytest.mark.parametrize("start, end, message", [
    ("2025-03-10", "2025-03-09", "service_end before service_start"),
    ("2025-03-02", "2025-04-02", "more than 31 days after the issue day"),
])
def test_staging_rejects_periods_recognition_cannot_use(start, end, message):
    # Issued Mar 1: Apr 1 is 31 days ahead (allowed), Apr 2 is 32.
    raw = pd.DataFrame({"invoice_id": ["inv"], "account_id": ["a"], "kind": ["invoice"],
                        "issued_at": pd.to_datetime(["2025-03-01T02:00:00Z"]), "amount": [10.0], "currency": ["USD"],
                        "service_start": [dt.date.fromisoformat(start)], "service_end": [dt.date.fromisoformat(end)],
                        "_file": ["revenue/date=2025-03-01/invoices.csv"]})
    rates = pd.DataFrame({"date": [pd.Timestamp("2025-03-01")], "currency": ["USD"], "usd_per_unit": [1.0]})
    accounts = pd.DataFrame({"date": [pd.Timestamp("2025-03-01")], "account_id": ["a"], "exclude_from_investor": [False]})
    with pytest.raises(DataContractError, match=message):
        stage_revenue(raw, rates, accounts)
    ok = raw.assign(service_start=[dt.date(2025, 3, 1)], service_end=[dt.date(2025, 4, 1)])
    assert stage_revenue(ok, rates, accounts)[0]["service_days"].tolist() == [32]
