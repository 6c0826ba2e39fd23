"""Versioned rules that decide which click events count: bot filters and timestamp sanity.

Changing anything here changes published numbers: bump `BOT_RULES.version` (it is part of the
`definition_version` written to every engagement row), then re-run the affected days with the
owners' approval (runbooks/engagement_aggregate.md#bot-traffic).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class BotRules:
    version: str
    # Case-insensitive Java regex searched in user_agent: a match marks every event of that delivery.
    user_agent_pattern: str
    # A user with more than this many clean events in any 60-minute window (sliding, within one
    # UTC day) is a bot for that whole day: humans stay far below (about 10 events a day).
    max_events_per_hour: int


BOT_RULES = BotRules(
    version="2025.1",
    user_agent_pattern=r"bot|crawler|spider|headless",
    max_events_per_hour=300,
)

# Timestamp sanity (not versioned as bot rules; part of engagement/1.0).
MAX_CLOCK_SKEW = dt.timedelta(minutes=5)  # event_ts may be this far after received_ts, no more
EARLIEST_EVENT = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)  # anything before is impossible
# ISO-8601 with a zone ('Z' or +hh:mm): a timestamp without one is ambiguous and set aside.
ISO_TS_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$"
