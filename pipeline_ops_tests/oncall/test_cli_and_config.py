"""`pipeline-ops oncall ...` end to end, config errors naming their key, runbook tables in sync."""

from __future__ import annotations

import json

import icalendar
import pytest
import yaml

from pipeline_ops.cli.main import main
from pipeline_ops.config import ConfigError, parse_config
from pipeline_ops.settings import PROJECT_DIR

from .conftest import EXAMPLES, raw

PLAN_002 = str(EXAMPLES / "plan_002.yaml")


def run(capsys, *argv) -> tuple[int, str]:
    code = main(["oncall", *argv])
    return code, capsys.readouterr().out


def test_who_json_for_a_pipeline(capsys):
    code, out = run(capsys, "who", "--config", PLAN_002, "--at", "2025-09-03T10:00", "--pipeline",
                    "profit_aggregate", "--json")
    data = json.loads(out)
    assert code == 0
    assert (data["primary"], data["backup"], data["week"]) == ("priya", "chen", 2)
    assert (data["incident_commander"], data["lead"]) == ("priya", "samir")
    assert data["route"]["mode"] == "page"
    assert [s["who"] for s in data["escalation"]] == ["priya", "chen", None, "samir"]


def test_who_text_default_config(capsys):
    code, out = run(capsys, "who", "--at", "2025-10-20T08:00")
    assert code == 0 and "primary  eng_b" in out and "Diwali" in out


@pytest.mark.parametrize("fmt", ["table", "csv", "json", "md", "ics"])
def test_schedule_formats(capsys, fmt):
    code, out = run(capsys, "schedule", "--config", PLAN_002, "--start", "2025-08-25", "--weeks", "8",
                    "--format", fmt)
    assert code == 0
    if fmt == "json":
        assert [(r["primary"], r["backup"]) for r in json.loads(out)][4] == ("alex", "chen")
    elif fmt == "ics":
        # 8 weeks, plus Diwali (Mon 2025-10-20 00:00-09:00, end of week 8) with priya and samir swapped.
        events = icalendar.Calendar.from_ical(out).walk("VEVENT")
        assert len(events) == 9
        assert str(events[-1].get("summary")) == "Primary priya, backup samir"
    elif fmt == "csv":
        assert out.splitlines()[1].startswith("weekly,1,2025-08-25 09:00,2025-09-01 09:00,alex,priya")
    else:
        assert "samir" in out and "2025-10-13 09:00" in out


def test_lint_exit_status(capsys, tmp_path):
    code, out = run(capsys, "lint", "--config", PLAN_002, "--start", "2025-08-25", "--horizon-weeks", "52")
    assert code == 0, out
    data = raw("plan_002")
    data["oncall"]["rotations"][0]["effective_until"] = "2025-12-01"
    path = tmp_path / "gap.yaml"
    path.write_text(yaml.safe_dump(data))
    code, out = run(capsys, "lint", "--config", str(path), "--start", "2025-08-25", "--horizon-weeks", "20")
    assert code == 1 and "coverage gap" in out
    data["oncall"]["overrides"] = [{"role": "primary", "member": "nobody", "start": "2025-09-01T00:00",
                                    "end": "2025-09-02T00:00", "reason": "x", "approver": "y",
                                    "created_at": "2025-08-01T00:00"}]
    path.write_text(yaml.safe_dump(data))
    code, out = run(capsys, "lint", "--config", str(path))
    assert code == 1 and "oncall.overrides[0].member: unknown member 'nobody'" in out


def test_fairness_and_ical_commands(capsys):
    code, out = run(capsys, "fairness", "--config", PLAN_002, "--start", "2025-08-25", "--end", "2025-10-20", "--json")
    rows = {r["member"]: r for r in json.loads(out)}
    # 2025-08-25 00:00 -> 2025-10-20 00:00 IST: two full weeks each, except that Samir's week 8
    # runs to 10-20 09:00, 9 h past the end of the range.
    assert code == 0
    assert {m: r["primary_hours"] for m, r in rows.items()} == {"alex": 336, "priya": 336, "chen": 336, "samir": 327}
    code, out = run(capsys, "ical", "--config", PLAN_002, "--member", "samir", "--start", "2025-08-25", "--weeks", "8")
    assert code == 0 and "BEGIN:VCALENDAR" in out
    code, out = run(capsys, "ical", "--config", PLAN_002, "--team", "--start", "2025-08-25", "--weeks", "8")
    assert code == 0 and out.count("BEGIN:VEVENT") == 8


def _problems(data) -> dict[str, str]:
    with pytest.raises(ConfigError) as info:
        parse_config(data, "t.yaml")
    return dict(info.value.problems)


def test_config_errors_name_key_and_expectation():
    data = raw("default")
    oc = data["oncall"]
    oc["rotations"][0]["anchor"] = "2025-08-26"  # a Tuesday
    oc["rotations"].append({"id": "v2", "anchor": "2026-01-05", "timezone": "Asia/Kolkata",
                            "members": ["eng_a", "eng_x"], "backup_offsets": [2]})
    oc["escalation"][1]["delay_minuts"] = 5
    oc["business_hours"]["start"] = "9am"
    found = _problems(data)
    assert "expected a mon" in found["oncall.rotations[0]"]
    assert "own backup" in found["oncall.rotations[1]"]
    assert "unknown key" in found["oncall.escalation[1].delay_minuts"]
    assert "HH:MM" in found["oncall.business_hours.start"]


def test_reference_errors_name_key():
    data = raw("default")
    oc = data["oncall"]
    oc["rotations"][0]["members"][3] = "eng_x"
    oc["pto"] = [{"member": "eng_q", "start": "2025-09-01", "end": "2025-09-02"}]
    oc["watch_periods"][0]["pipelines"].append("nope")
    oc["team_calendar"] = "mars"
    found = _problems(data)
    assert "unknown member 'eng_x'" in found["oncall.rotations[0].members[3]"]
    assert "eng_q" in found["oncall.pto[0].member"]
    assert "unknown pipeline 'nope'" in found["oncall.watch_periods[0].pipelines[4]"]
    assert "unknown calendar 'mars'" in found["oncall.team_calendar"]


def test_committed_runbook_tables_match_config(capsys):
    code, out = run(capsys, "runbook-tables", "--check")
    assert code == 0, out
    text = (PROJECT_DIR / "runbooks" / "oncall.md").read_text()
    assert "| 5 | Mon 2025-09-22 09:00 | Mon 2025-09-29 09:00 | Engineer A (eng_a) | Engineer C (eng_c) |" in text


def test_runbook_check_detects_drift(tmp_path, capsys):
    path = tmp_path / "oncall.md"
    text = (PROJECT_DIR / "runbooks" / "oncall.md").read_text()
    path.write_text(text.replace("Engineer C (eng_c) | Engineer D (eng_d) |", "Engineer C (eng_c) | Engineer A (eng_a) |"))
    code, _ = run(capsys, "runbook-tables", "--path", str(path), "--check")
    assert code == 1
    run(capsys, "runbook-tables", "--path", str(path))
    assert path.read_text() == text


def test_resource_answers_like_the_engine():
    import datetime as dt

    from pipeline_ops.oncall.resource import OnCallResource

    res = OnCallResource(config_path=PLAN_002)
    t = dt.datetime(2025, 9, 3, 4, 30, tzinfo=dt.timezone.utc)  # 10:00 IST, week 2
    assert (res.who(t).primary, res.for_pipeline("growth_aggregate", t).incident_commander) == ("priya", "samir")
    assert res.route("growth_daily", t).mode == "chat"
    assert res.contact("chen")["chat"] == "@chen"
