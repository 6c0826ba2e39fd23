"""Every malformed flag value of `pipeline-ops` is one line naming the flag and the expected form.

The test walks the real command tree, so a flag added later with a bare `type=int` (whose argparse
message does not say what was expected) fails here until it uses a type from cli/args.py.
"""

from __future__ import annotations

import argparse

import pytest

from pipeline_ops.cli.main import build_parser, main


def _typed_flags(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _typed_flags(sub, (*path, name))
        elif action.option_strings and action.type is not None:
            yield path, action.option_strings[-1]


TYPED = sorted(set(_typed_flags(build_parser())))


def test_the_walk_finds_the_typed_flags():
    # A hand-made list of flags that take a typed value: the walk must see at least these.
    expected = {(("oncall", "who"), "--at"), (("oncall", "schedule"), "--start"), (("oncall", "schedule"), "--weeks"),
                (("oncall", "fairness"), "--end"), (("oncall", "season"), "--year"), (("generate",), "--days"),
                (("generate",), "--scale"), (("spark-connect",), "--port"), (("spark-connect",), "--driver-memory")}
    assert expected <= set(TYPED)


@pytest.mark.parametrize(("path", "flag"), TYPED, ids=[" ".join((*p, f)) for p, f in TYPED])
@pytest.mark.parametrize("bad", ["not-a-value", "2025-13-40"])
def test_a_malformed_value_is_one_line_naming_the_flag(path, flag, bad, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*path, flag, bad])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"argument {flag}" in err and "expected " in err and repr(bad) in err


@pytest.mark.parametrize(("argv", "message"), [
    (["oncall", "who", "--at", "2025-10-20T25:00"], "argument --at: expected an ISO-8601 time"),
    (["oncall", "schedule", "--start", "2025-10-20", "--weeks", "0"], "argument --weeks: expected a whole number of at least 1"),
    (["generate", "--landing", "x", "--start", "2025-01-01", "--days", "1", "--scale", "-2"], "argument --scale: expected a number above 0"),
    (["spark-connect", "--port", "70000"], "argument --port: expected a TCP port 1-65535"),
    (["oncall", "nope"], "invalid choice: 'nope'"),
    (["generate", "--landing", "x"], "the following arguments are required: --start, --days"),
])
def test_out_of_range_values_and_usage_mistakes_are_one_line(argv, message, capsys):
    with pytest.raises(SystemExit):
        main(argv)
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_fairness_range_that_ends_before_it_starts_is_refused(capsys):
    assert main(["oncall", "fairness", "--start", "2025-02-01", "--end", "2025-01-01"]) == 2
    err = capsys.readouterr().err
    assert err == "pipeline-ops oncall fairness: --end 2025-01-01 must be after --start 2025-02-01\n"
