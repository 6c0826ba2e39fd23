"""Helpers the engagement asset wrappers share: settings, versions, folder lists, metadata shape."""

from __future__ import annotations

import datetime as dt
import math

import dagster as dg

from pipeline_ops.config import current_config
from pipeline_ops.engagement.rules import BOT_RULES
from pipeline_ops.metrics.engagement import recorded_version

PIPELINE = "engagement_aggregate"


def lateness_days(lateness_hours: int | None = None) -> int:
    """Later delivery folders a day reads: ceil(lateness_hours / 24) (48 h -> 2)."""
    hours = current_config().processing.lateness_hours if lateness_hours is None else lateness_hours
    return math.ceil(hours / 24)


def version() -> str:
    """The definition version recorded in every engagement output row (settings read now)."""
    p = current_config().processing
    return recorded_version(BOT_RULES.version, p.lateness_hours, p.session_idle_minutes)


def day_range(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def iso(days: list[dt.date]) -> list[str]:
    return [d.isoformat() for d in days]


def fs_uri(fs, path: str) -> str:
    """A URL Spark understands for a path of an fsspec filesystem (local paths get file://)."""
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return f"file://{path}" if protocol in ("file", "local") else f"{protocol}://{path}"


def per_day_metadata(values: dict[str, dict[str, int]]) -> dict:
    """Flat totals for one day; totals plus a `by_day` JSON for a range."""
    totals: dict[str, int] = {}
    for counts in values.values():
        for k, v in counts.items():
            totals[k] = totals.get(k, 0) + v
    out: dict = dict(totals)
    if len(values) > 1:
        out["by_day"] = dg.MetadataValue.json(values)
    return out
