"""Config loading: the default file is valid and every kind of mistake names its key."""

import copy

import pytest
import yaml

from pipeline_ops.config import ConfigError, load_config, parse_config
from pipeline_ops.settings import DEFAULT_CONFIG

FIXED_KEYS = {
    "profit_unit_level", "profit_aggregate", "growth_aggregate",
    "growth_daily", "engagement_aggregate", "investor_monthly_report",
}


@pytest.fixture
def raw() -> dict:
    return yaml.safe_load(DEFAULT_CONFIG.read_text())


def problems(data: dict) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as info:
        parse_config(data, "test.yaml")
    return info.value.problems


def test_default_config_encodes_plan_002_ownership():
    cfg = load_config()
    assert set(cfg.pipeline_keys) == FIXED_KEYS
    # Plan 002 table: AM=A, PR=B, CW=C, SK=D.
    owners = {p.key: (p.primary_owner, p.secondary_owner) for p in cfg.pipelines}
    assert owners["profit_unit_level"] == ("eng_b", "eng_c")
    assert owners["profit_aggregate"] == ("eng_a", "eng_b")
    assert owners["growth_aggregate"] == ("eng_c", "eng_d")
    assert owners["growth_daily"] == ("eng_d", "eng_a")
    assert owners["engagement_aggregate"] == ("eng_b", "eng_a")
    assert cfg.pipeline("growth_aggregate").sla.deadline == "06:30"
    assert cfg.team.timezone == "Asia/Kolkata"


def test_env_var_points_at_another_file(tmp_path, monkeypatch, raw):
    raw["team"]["timezone"] = "Europe/Berlin"
    path = tmp_path / "other.yaml"
    path.write_text(yaml.safe_dump(raw))
    monkeypatch.setenv("PIPELINE_OPS_CONFIG", str(path))
    assert load_config().team.timezone == "Europe/Berlin"


def test_unknown_key_is_named(raw):
    raw["pipelines"][1]["sla"]["deadlin"] = "07:00"
    keys = [k for k, _ in problems(raw)]
    assert "pipelines[1].sla.deadlin" in keys


def test_bad_time_and_timezone_are_named(raw):
    raw["pipelines"][0]["sla"]["deadline"] = "7am"
    raw["team"]["members"][2]["timezone"] = "Mars/Olympus"
    found = dict(problems(raw))
    assert "HH:MM" in found["pipelines[0].sla.deadline"]
    assert "Mars/Olympus" in found["team.members[2].timezone"]


def test_dangling_owner_and_same_owner_twice(raw):
    raw["pipelines"][2]["primary_owner"] = "eng_x"
    raw["pipelines"][3]["secondary_owner"] = raw["pipelines"][3]["primary_owner"]
    found = dict(problems(raw))
    assert "eng_x" in found["pipelines[2].primary_owner"]
    assert "must differ" in found["pipelines[3].secondary_owner"]


def test_duplicate_member_and_unknown_calendar(raw):
    raw["team"]["members"].append(copy.deepcopy(raw["team"]["members"][0]))
    raw["team"]["members"][1]["holiday_calendar"] = "atlantis"
    found = dict(problems(raw))
    assert "appears 2 times" in found["team.members"]
    assert "atlantis" in found["team.members[1].holiday_calendar"]


def test_missing_file_and_bad_yaml_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match="nope.yaml"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("team: [unclosed\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: line \d+"):
        load_config(bad)
