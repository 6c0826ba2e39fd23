"""The fault catalogue is complete and honest, and `pipeline-ops faults` lists it.

Complete: every failure-mode section of every pipeline runbook is the failure mode of at least one
entry. Honest: each entry's anchor exists in the runbook it names, a data fault says which checks
(or fail-closed steps) must catch it, and the entries no landing data can produce say what covers
them instead.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys

import pytest

from pipeline_ops.cli import generate as generate_cli
from pipeline_ops.cli.main import main
from pipeline_ops.generate.faults import CATALOGUE, FAULTS, parse_fault
from pipeline_ops.landing.contract import SOURCES
from pipeline_ops.settings import PROJECT_DIR

RUNBOOKS = PROJECT_DIR / "runbooks"
CHECK_NAME = re.compile(r"^(landing/[a-z_]+\.arrived|[a-z_]+\.[a-z_]+)$")


def failure_modes(runbook: str) -> list[str]:
    """The `### anchors` under '## failure-modes' of runbooks/<runbook>.md."""
    text = (RUNBOOKS / f"{runbook}.md").read_text(encoding="utf-8")
    section = text.split("\n## failure-modes", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^### (\S+)\s*$", section, flags=re.M)


PIPELINE_RUNBOOKS = sorted(p.stem for p in RUNBOOKS.glob("*.md") if "\n## failure-modes" in p.read_text(encoding="utf-8"))


def test_pipeline_runbooks_are_found():
    expected = {"profit_aggregate", "growth_aggregate", "engagement_aggregate", "investor_monthly_report"}
    assert expected <= set(PIPELINE_RUNBOOKS)


@pytest.mark.parametrize("runbook", PIPELINE_RUNBOOKS)
def test_every_failure_mode_of_the_runbook_is_catalogued(runbook):
    catalogued = {f.failure_mode for f in CATALOGUE.values()}
    missing = [m for m in failure_modes(runbook) if m not in catalogued]
    assert not missing, f"runbooks/{runbook}.md failure modes with no catalogue entry: {missing}"


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_entry_is_well_formed(name):
    fault = CATALOGUE[name]
    assert fault.name == name and fault.description
    assert fault.failure_mode in failure_modes(fault.runbook), f"no ### {fault.failure_mode} in runbooks/{fault.runbook}.md"
    assert all(CHECK_NAME.match(c) for c in (*fault.detected_by, *fault.may_also_fail)), fault.detected_by
    assert not set(fault.detected_by) & set(fault.may_also_fail)
    assert set(fault.sources) | set(fault.reads) <= set(SOURCES)
    if fault.kind == "data":
        assert fault.apply is not None and fault.sources
        assert bool(fault.detected_by or fault.guarded_by) != bool(fault.limit), "expected checks, or a stated limit"
        assert name in FAULTS
    else:
        assert fault.apply is None and not fault.sources and name not in FAULTS
    if fault.kind == "config":
        assert fault.config and fault.assets and fault.detected_by
    if fault.kind in ("unit-test", "ops"):
        assert fault.covered_by


def test_expected_checks_name_assets_that_exist():
    from pipeline_ops.definitions import defs

    assets = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    named = {c.rsplit(".", 1)[0] for f in CATALOGUE.values() for c in (*f.detected_by, *f.may_also_fail)}
    named |= {a for f in CATALOGUE.values() for a in (*f.guarded_by, *f.assets)}
    assert named <= assets, sorted(named - assets)


def test_every_expected_check_is_registered():
    """Every check the catalogue names is registered (a typo or a removed check is named here)."""
    from pipeline_ops.cli.faults import registered_checks

    known = registered_checks()
    missing = sorted({c for f in CATALOGUE.values() for c in (*f.detected_by, *f.may_also_fail)} - known)
    assert not missing, f"expected checks not registered: {missing}"


def test_non_data_entries_are_refused_by_generate():
    with pytest.raises(ValueError, match="config entry: it changes no landing data"):
        parse_fault("session_idle_change", dt.date(2025, 1, 1), dt.date(2025, 1, 2))


def test_generate_help_lists_every_data_fault():
    assert list(generate_cli.FAULT_NAMES) == list(FAULTS)


def test_faults_command_lists_each_fault_with_mode_sources_and_checks(capsys):
    assert main(["faults"]) == 0
    out = capsys.readouterr().out
    block = out.split("revenue_duplicate_new_ids  [data]", 1)[1].split("\n\n", 1)[0]
    assert "runbooks/profit_aggregate.md#duplicate-records" in block
    assert "sources: revenue" in block and "caught by: stg_revenue_usd.duplicate_documents" in block
    assert "fails closed: stg_experiment_assignments" in out.split("assignment_unit_in_two_experiments", 1)[1]
    assert f"{len(CATALOGUE)} faults: {len(FAULTS)} data, 1 config" in out
    assert all(f"{name}  [" in out for name in CATALOGUE)


def test_faults_command_json_and_kind_filter(capsys):
    assert main(["faults", "--json", "--kind", "config"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [e["name"] for e in entries] == ["session_idle_change"]
    assert entries[0]["config"] == {"processing": {"session_idle_minutes": 120}}
    assert entries[0]["detected_by"] == ["stg_sessions.session_length_drift"]


def test_faults_command_imports_no_dagster():
    code = ("import sys; from pipeline_ops.cli.main import main; main(['faults', '--kind', 'ops']); "
            "sys.exit(1 if 'dagster' in sys.modules else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "scheduler_paused_or_misfire  [ops]" in done.stdout
