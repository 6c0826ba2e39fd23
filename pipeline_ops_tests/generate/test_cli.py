"""`pipeline-ops generate` end to end through the real entry point."""

import argparse

from pipeline_ops.cli import generate as generate_cli
from pipeline_ops.cli.main import main
from pipeline_ops.generate.faults import FAULTS


def test_generate_command_writes_and_summarises(tmp_path, capsys):
    code = main(["generate", "--landing", str(tmp_path), "--start", "2025-01-01", "--days", "2", "--scale", "0.01",
                 "--seed", "3", "--sources", "accounts,fx_rates,click_events", "--fault", "missing_fx_partition@2025-01-02"])
    out = capsys.readouterr().out
    assert code == 0
    assert "accounts" in out and "click_events" in out and "missing_fx_partition@2025-01-02" in out
    assert (tmp_path / "fx_rates" / "date=2025-01-01" / "fx_rates.csv").exists()
    assert not (tmp_path / "fx_rates" / "date=2025-01-02").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts", "click_events", "fx_rates"]


def test_generate_command_rejects_bad_input(tmp_path, capsys):
    base = ["generate", "--landing", str(tmp_path), "--start", "2025-01-01", "--days", "1", "--scale", "0.01"]
    assert main([*base, "--fault", "no_such_fault"]) == 2
    assert main([*base, "--sources", "nope"]) == 2
    assert "unknown" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_help_lists_every_registered_fault():
    assert set(generate_cli.FAULT_NAMES) == set(FAULTS)
    parser = argparse.ArgumentParser()
    generate_cli.register(parser.add_subparsers())
