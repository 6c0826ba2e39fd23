"""Helpers: example configs as data, engines built from (modified) data, IST/Berlin instants."""

from __future__ import annotations

import copy
import datetime as dt
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from pipeline_ops.config import parse_config
from pipeline_ops.oncall import OnCallEngine
from pipeline_ops.settings import PACKAGE_DIR

EXAMPLES = PACKAGE_DIR / "config" / "examples"
IST = ZoneInfo("Asia/Kolkata")
UTC = dt.timezone.utc


@cache
def _raw(name: str) -> dict:
    path = PACKAGE_DIR / "config" / "default.yaml" if name == "default" else EXAMPLES / f"{name}.yaml"
    return yaml.safe_load(Path(path).read_text())


def raw(name: str) -> dict:
    """A fresh, mutable copy of an example config's data ('default' = default.yaml)."""
    return copy.deepcopy(_raw(name))


def engine(data: dict | str) -> OnCallEngine:
    return OnCallEngine(parse_config(raw(data) if isinstance(data, str) else data, "test.yaml"))


def at(text: str, tz=IST) -> dt.datetime:
    """'2025-09-03 12:00' wall time in tz -> aware datetime."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=tz)
