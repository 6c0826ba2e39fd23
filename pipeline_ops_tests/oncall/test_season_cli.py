"""The season through the engine, hour by hour, and `pipeline-ops oncall season`.

Hard rules are checked on every hour of the season: exactly one primary, never on PTO, the
planned volunteer unless an override says otherwise, a backup who is someone else.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
import yaml

from pipeline_ops.cli.main import main
from pipeline_ops.oncall.lint import lint

from .conftest import EXAMPLES, engine, raw
from .season_check import levels

NY = ZoneInfo("America/New_York")
PLAN_000 = str(EXAMPLES / "plan_000.yaml")
MEMBERS = ["eng_a", "eng_c", "eng_b", "eng_d"]


def _with_pto_and_override() -> dict:
    data = raw("plan_000")
    # eng_b prefers Christmas Eve and Christmas Day but is off on Christmas Day (a whole NY day).
    data["oncall"]["pto"] = [{"member": "eng_b", "start": "2025-12-25", "end": "2025-12-25"}]
    data["oncall"]["overrides"] = [{"role": "primary", "member": "eng_c", "start": "2025-12-09T12:00",
                                    "end": "2025-12-09T18:00", "reason": "swap by hand", "approver": "manager",
                                    "created_at": "2025-11-01T00:00"}]
    return data


def test_every_hour_keeps_the_hard_rules():
    e = engine(_with_pto_and_override())
    plan = e.seasons.plan(2025)
    pto = (dt.datetime(2025, 12, 25, tzinfo=NY), dt.datetime(2025, 12, 26, tzinfo=NY))
    override = (dt.datetime(2025, 12, 9, 12, tzinfo=NY), dt.datetime(2025, 12, 9, 18, tzinfo=NY))
    t, end = dt.datetime(2025, 11, 27, 9, tzinfo=NY), dt.datetime(2026, 1, 2, 9, tzinfo=NY)
    hours = 0
    while t < end:
        slot_day = (t.astimezone(NY) - dt.timedelta(hours=9)).date()  # slots run 09:00 -> 09:00
        volunteer = plan.owners[plan.days.index(slot_day)]
        a = e.who(t)
        b_off = pto[0] <= t < pto[1]
        assert volunteer != "eng_b" or not b_off, t  # the plan itself never puts eng_b on PTO
        assert a.primary is not None and a.backup is not None and a.primary != a.backup, t
        assert not (b_off and "eng_b" in (a.primary, a.backup)), t
        assert a.primary == ("eng_c" if override[0] <= t < override[1] else volunteer), t
        t, hours = t + dt.timedelta(hours=1), hours + 1
    assert hours == 36 * 24
    # PTO on Christmas Day also rules out Christmas Eve's slot, which runs to 09:00 on the 25th.
    assert plan.owners[plan.days.index(dt.date(2025, 12, 24))] != "eng_b"
    # Hand bounds: of 20 preferred days, eng_d's 12-01..04 lose one (shifts <= 3 days) and eng_b's
    # 12-24 and 12-25 are impossible: 17. eng_d on Thanksgiving then eng_a on 11-28: one 1-day shift.
    prefs = raw("plan_000")["oncall"]["holiday_season"]["preferences"][2025]
    index = {d.isoformat(): i for i, d in enumerate(plan.days)}
    prefer = {m: {index[d] for d in p["prefer"]} for m, p in prefs.items()}
    avoid = {m: {index[d] for d in p["avoid"]} for m, p in prefs.items()}
    got = levels(plan.owners, MEMBERS, prefer, avoid)
    assert (got["length"], got["avoided"], got["preferred"], got["one_day"]) == (0, 0, 17, 1)
    assert got["load"] >= 324  # 9 days each is the least possible; the rules above may cost more


def test_time_limit_falls_back_with_a_warning(monkeypatch):
    monkeypatch.setenv("PIPELINE_OPS_SEASON_SOLVER_SECONDS", "0.000001")
    e = engine("plan_000")
    plan = e.seasons.plan(2025)
    assert not plan.result.proven and plan.result.method == "greedy (fallback)"
    assert all(o is not None for o in plan.owners)
    warnings = [p for p in lint(e, e.instant("2025-11-01T00:00"), 10) if p.key == "oncall.holiday_season"]
    assert warnings and "time limit" in warnings[0].message and warnings[0].level == "warning"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["oncall", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_season_command_reports_each_member(capsys):
    code, out, _ = run(capsys, "season", "--config", PLAN_000, "--year", "2025", "--json")
    data = json.loads(out)
    assert code == 0 and data["proven_optimal"]
    assert (data["first"], data["last"], len(data["assignment"])) == ("2025-11-27", "2026-01-01", 36)
    assert data["levels"]["preferred"] == 19 and data["levels"]["avoided"] == 0
    rows = {m["member"]: m for m in data["members"]}
    assert rows["eng_b"]["preferred_granted"] == ["2025-12-15", "2025-12-16", "2025-12-24", "2025-12-25", "2025-12-26"]
    assert sum(m["hours"]["primary_hours"] for m in rows.values()) == 36 * 24
    assert rows["eng_b"]["hours"]["holiday"] == 24  # all of Christmas Day
    code, text, _ = run(capsys, "season", "--config", PLAN_000, "--year", "2025")
    assert code == 0 and "4. preferred days granted (up to each member's fair share): 19" in text
    assert "eng_d: 9 day(s)" in text and "avoided days assigned: none" in text


def test_avoided_day_comes_with_its_reason(tmp_path, capsys):
    data = raw("plan_000")
    # Christmas Eve's slot: eng_b and eng_d are off, eng_a and eng_c both avoid it.
    data["oncall"]["pto"] = [{"member": "eng_b", "start": "2025-12-25", "end": "2025-12-25"},
                             {"member": "eng_d", "start": "2025-12-24", "end": "2025-12-25"}]
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data))
    code, out, _ = run(capsys, "season", "--config", str(path), "--year", "2025", "--json")
    rows = {m["member"]: m for m in json.loads(out)["members"]}
    given = [a for m in rows.values() for a in m["avoided_assigned"]]
    assert code == 0 and {a["day"] for a in given} == {"2025-12-24", "2025-12-25"}
    assert all("no schedule has fewer than 2 avoided day(s)" in a["why"] and "off (PTO)" in a["why"] for a in given)


def test_explain_names_the_deciding_rule(capsys):
    # Christmas: eng_b prefers it, eng_a and eng_c avoid it; without eng_b a preferred day is lost.
    code, out, _ = run(capsys, "season", "--config", PLAN_000, "--year", "2025", "--explain", "2025-12-25", "--json")
    data = json.loads(out)
    assert code == 0 and (data["member"], data["rule"]) == ("eng_b", "preferred")
    assert "18 preferred day(s) instead of 19" in data["why"]
    assert data["on_call"][0]["primary"] == "eng_b"
    code, text, _ = run(capsys, "season", "--config", PLAN_000, "--year", "2025", "--explain", "2025-11-27")
    assert code == 0 and "eng_d prefers it" in text and "why:" in text


@pytest.mark.parametrize("argv, flag", [
    (["--year", "2025", "--explain", "2025-10-01"], "--explain: 2025-10-01 is not a day of the 2025 season"),
    (["--year", "1492"], "--year: expected a year between 1900 and 2199"),
])
def test_bad_input_names_the_flag(capsys, argv, flag):
    code, _, err = run(capsys, "season", "--config", PLAN_000, *argv)
    assert code == 2 and flag in err and "Traceback" not in err


def test_bad_flags_and_keys_are_clear_errors(capsys, monkeypatch, tmp_path):
    with pytest.raises(SystemExit) as info:
        main(["oncall", "season", "--config", PLAN_000, "--year", "2025", "--explain", "25/12/2025"])
    assert info.value.code == 2 and "--explain: expected a date YYYY-MM-DD, got '25/12/2025'" in capsys.readouterr().err
    code, _, err = run(capsys, "season", "--year", "2025")  # the default config has no season
    assert code == 2 and "oncall.holiday_season: not set in this config" in err
    monkeypatch.setenv("PIPELINE_OPS_SEASON_SOLVER_SECONDS", "soon")
    path = tmp_path / "plan.yaml"  # a fresh file: a fresh engine, nothing solved yet
    path.write_text(yaml.safe_dump(raw("plan_000")))
    code, _, err = run(capsys, "season", "--config", str(path), "--year", "2025")
    assert code == 2 and "PIPELINE_OPS_SEASON_SOLVER_SECONDS: expected a positive number of seconds, got 'soon'" in err
    assert "Traceback" not in err
