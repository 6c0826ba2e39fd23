"""iCalendar (RFC 5545) feeds: per member, per pipeline, for the team.

Events carry TZID times in the team timezone (with a VTIMEZONE), so calendars render handoffs
at the wall-clock time across DST. UIDs are a hash of (feed, role, member, UTC start): the same
shift keeps its UID when the feed is regenerated, so calendar clients update instead of
duplicating. DTSTAMP is the feed's `stamp` argument (default: the start of the range) so the
output is byte-for-byte reproducible.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

import icalendar

from pipeline_ops.oncall.timeline import member_spans, segments

if TYPE_CHECKING:
    from pipeline_ops.oncall.engine import OnCallEngine

PRODID = "-//pipeline_ops//on-call//EN"


def uid(*parts: object) -> str:
    digest = hashlib.sha1("|".join(str(p) for p in parts).encode()).hexdigest()[:24]
    return f"{digest}@pipeline-ops"


def _calendar(name: str) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    return cal


def _event(engine, feed, role, member, start, end, summary, description, stamp) -> icalendar.Event:
    ev = icalendar.Event()
    ev.add("uid", uid(feed, role, member, start.isoformat()))
    ev.add("dtstamp", stamp)
    ev.add("dtstart", start.astimezone(engine.tz))
    ev.add("dtend", end.astimezone(engine.tz))
    ev.add("summary", summary)
    ev.add("description", description)
    ev.add("transp", "TRANSPARENT")  # being on call is not "busy"
    return ev


def _finish(cal: icalendar.Calendar) -> bytes:
    cal.add_missing_timezones()
    return cal.to_ical()


def member_feed(engine: OnCallEngine, member: str, a: dt.datetime, b: dt.datetime, stamp=None) -> bytes:
    """One event per contiguous span in which `member` is primary or backup."""
    stamp = stamp or a
    name = engine.cfg.member(member).name
    cal = _calendar(f"On call: {name}")
    for start, end, role in member_spans(segments(engine, a, b), member):
        cal.add_component(_event(engine, f"member:{member}", role, member, start, end,
                                 f"On call ({role}): {name}", f"{engine.cfg.team.name} rota, {role}", stamp))
    return _finish(cal)


def team_feed(engine: OnCallEngine, a: dt.datetime, b: dt.datetime, stamp=None, pipeline: str | None = None) -> bytes:
    """One event per segment of constant primary and backup; with `pipeline`, the incident
    commander (its secondary owner) is named too."""
    stamp = stamp or a
    feed = f"pipeline:{pipeline}" if pipeline else "team"
    title = engine.cfg.pipeline(pipeline).title if pipeline else engine.cfg.team.name
    cal = _calendar(f"On call: {title}")
    ic = engine.cfg.pipeline(pipeline).secondary_owner if pipeline else None
    for seg in segments(engine, a, b):
        if seg.primary is None:
            continue  # before the first rota layer: nothing to show (lint reports real gaps)
        summary = f"Primary {seg.primary or '-'}, backup {seg.backup or '-'}"
        desc = "; ".join(seg.assignment.trace) + (f"\nIncident commander: {ic}" if ic else "")
        cal.add_component(_event(engine, feed, "pair", f"{seg.primary}/{seg.backup}", seg.start, seg.end,
                                 summary, desc, stamp))
    return _finish(cal)
