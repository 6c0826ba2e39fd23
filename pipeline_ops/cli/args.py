"""Argument parsing for every `pipeline-ops` command: a malformed value is one line, never a traceback.

`Parser.error` prints `pipeline-ops oncall who: argument --at: expected ..., got '...'` and exits 2,
without argparse's multi-line usage block (the `--help` hint says where the usage is). Every typed
flag uses one of the types below, whose message states the expected form; a test walks the whole
command tree and feeds each typed flag a malformed value.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from collections.abc import Callable
from typing import NoReturn, TypeVar

T = TypeVar("T")


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line naming the flag; sub-parsers inherit the class."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def typed(parse: Callable[[str], T], expected: str) -> Callable[[str], T]:
    """An argparse type whose error says what was expected (argparse adds the flag's name)."""

    def convert(text: str) -> T:
        try:
            return parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None

    return convert


def _instant(text: str) -> dt.datetime:
    """The on-call engine's ISO-8601 reading; imported on use, so `--help` does not load the engine."""
    from pipeline_ops.oncall.timeutil import parse_iso

    return parse_iso(text)


def _int_between(low: int, high: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if value < low or (high is not None and value > high):
            raise ValueError(text)
        return value

    return parse


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:  # also refuses nan
        raise ValueError(text)
    return value


def _memory(text: str) -> str:
    """A JVM memory size as Spark takes it: digits and a unit (k, m, g or t)."""
    if not re.fullmatch(r"[1-9][0-9]*[kmgtKMGT]", text):
        raise ValueError(text)
    return text


DATE = typed(dt.date.fromisoformat, "a date YYYY-MM-DD")
INSTANT = typed(_instant,  # the command applies the team timezone to a naive time
                "an ISO-8601 time such as 2025-10-20T09:30 or 2025-10-20T09:30+05:30")
POSITIVE_INT = typed(_int_between(1), "a whole number of at least 1")
INT = typed(int, "a whole number")
PORT = typed(_int_between(1, 65535), "a TCP port 1-65535")
YEAR = typed(int, "a year like 2025")  # the season command checks its own range
SCALE = typed(_positive_float, "a number above 0, such as 0.1 or 10")
MEMORY = typed(_memory, "a JVM memory size such as 2g or 512m")
