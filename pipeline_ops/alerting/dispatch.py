"""Which notifications are due now, for every incident: the grouping wait, silences, business-hours
holding, the escalation ladder, acknowledgements and resolves.

- Nothing is sent before `grouping_wait` has passed since the incident opened, so a burst from one
  root cause goes out as one notification; an incident that resolves within it is never sent.
- A silenced incident is recorded, not sent; when its silence ends while it is still open, it is.
- The route comes from the incident's severity level (alerting/severity.py; `alerting.severities`),
  which only rises while open: a chat incident whose level rises to a paging one starts the ladder.
- `page`: ladder step N is due at its time (oncall.escalation.ladder, counted from when the ladder
  started);
  the recipient is resolved when the step fires, so a ladder that crosses a handoff pages the new
  on-call; a step that resolves to nobody new is skipped at once. An acknowledged incident climbs
  no further. `chat`: one message to the chat channels; `hold`: nothing until the opening.
- Acknowledge and resolve go to every channel that got the trigger, once (the outbox keeps them
  after it: a resolve never overtakes its trigger).
- Outage e-mail (outage.py, `alerting.outage_email`): once per incident, acknowledged or not.
Every notification has a stable idempotency key, so planning the same step twice enqueues it once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from pipeline_ops.alerting.incident import Incident
from pipeline_ops.alerting.lineage import Lineage
from pipeline_ops.alerting.message import render_route
from pipeline_ops.alerting.notification import Notification
from pipeline_ops.alerting.outage import outage_email
from pipeline_ops.alerting.routing import Route, route
from pipeline_ops.alerting.severity import review_due
from pipeline_ops.alerting.silences import Silence, silenced_by
from pipeline_ops.config.alerting import DEFAULT_SEVERITIES, AlertingConfig, OutageEmail, SeverityLevel
from pipeline_ops.oncall.engine import OnCallEngine
from pipeline_ops.oncall.escalation import ladder


@dataclass(frozen=True)
class DispatchSettings:
    grouping_wait: dt.timedelta
    page_channels: tuple[str, ...]
    chat_channels: tuple[str, ...]
    ui_base_url: str
    severities: Mapping[str, SeverityLevel] = field(default_factory=lambda: DEFAULT_SEVERITIES)
    outage_email: OutageEmail | None = None

    @staticmethod
    def of(cfg: AlertingConfig) -> "DispatchSettings":
        return DispatchSettings(dt.timedelta(seconds=cfg.grouping_wait_seconds), tuple(cfg.page), tuple(cfg.chat),
                                cfg.ui_base_url, cfg.severities, cfg.outage_email)


def plan(incidents: Sequence[Incident], engine: OnCallEngine, lineage: Lineage, silences: list[Silence],
         settings: DispatchSettings, now: dt.datetime) -> list[Notification]:
    """The notifications due at `now` (incident state updated to remember them)."""
    out: list[Notification] = []
    for inc in incidents:
        out.extend(_plan_one(inc, engine, lineage, silences, settings, now))
    return out


def _plan_one(inc, engine, lineage, silences, settings, now) -> list[Notification]:
    if inc.status == "resolved":
        return _closing(inc, "resolve", engine, lineage, settings, now) if not inc.resolve_sent and inc.channels_told else []
    if now < inc.opened_at + settings.grouping_wait:
        return []
    silence = silenced_by(inc, silences, now)
    if silence is not None:
        if inc.silenced_by != silence.id:
            inc.silenced_by = silence.id
            inc.note(now, f"silenced by {silence.id} ({silence.reason}, set by {silence.created_by}, until {silence.ends_at:%Y-%m-%d %H:%M}Z): recorded, not sent")
        return []
    inc.silenced_by = None
    r = route(engine, lineage, inc, now, settings.severities)
    _settle_severity(inc, r, engine, settings, now)
    out = outage_email(inc, r, engine, lineage, settings, now)
    if inc.status == "acknowledged":
        if not inc.ack_sent and inc.channels_told:
            out += _closing(inc, "acknowledge", engine, lineage, settings, now)
        return out
    upgraded = inc.route_mode == "chat" and r.mode == "page"  # its level rose to one that pages
    if inc.notified_at and not upgraded and (
            inc.route_mode == "chat" or len(inc.steps_sent) >= len(engine.oc.escalation)):
        return out  # told already, nothing left to climb
    if r.mode == "hold":
        if inc.held_until != r.deliver_at:
            inc.held_until = r.deliver_at
            inc.note(now, r.reason)
        return out
    if r.mode == "chat":
        return out if inc.notified_at else out + _send(inc, r, "chat", None, "chat: " + r.reason,
                                                       settings.chat_channels, engine, lineage, settings, now)
    return out + _escalate(inc, r, engine, lineage, settings, now)


def _settle_severity(inc: Incident, r: Route, engine: OnCallEngine, settings, now: dt.datetime) -> None:
    """Record the incident's level (it only rises) and its review due date (from the day it opened)."""
    if inc.severity == r.level:
        return
    spec = settings.severities[r.level]
    due = review_due(inc.opened_at, spec.review_business_days, engine.tz, engine.business)
    inc.note(now, f"severity {spec.label}" + (f" (was {settings.severities[inc.severity].label})" if inc.severity else "")
             + (f"; review due {due}" if due else "; no review"))
    inc.severity, inc.review_due = r.level, due.isoformat() if due else None


def _escalate(inc: Incident, r: Route, engine, lineage, settings, now) -> list[Notification]:
    out = []
    if inc.ladder_started_at is None:  # the first page, or a chat incident whose level now pages
        # (an incident stored before this field existed and already paging keeps its first page's time)
        paging = inc.route_mode == "page" and inc.notified_at is not None
        inc.ladder_started_at, inc.route_mode = (inc.notified_at if paging else now), "page"
    for page in ladder(engine, r.pipeline, inc.ladder_started_at):
        if page.step in inc.steps_sent:
            continue
        if page.who is None:
            inc.steps_sent.append(page.step)
            inc.note(now, f"escalation step {page.step} ({page.target}) skipped: {page.note}")
            continue
        if page.at is None or page.at > now:
            break  # later steps count from this one: not due yet
        why = _why(engine, page, r)
        out += _send(inc, r, page.step, page.who, why, settings.page_channels, engine, lineage, settings, now)
        inc.steps_sent.append(page.step)
    return out


def _why(engine: OnCallEngine, page, r: Route) -> str:
    a = engine.who(page.at)
    role = {"primary": "primary on call", "backup": "backup on call", "incident_commander": f"incident commander "
            f"(secondary owner of {r.pipeline})"}.get(page.target, page.target.replace("_", " "))
    week = f"rotation week {a.week}" if a.week else "rotation"
    extra = f"; holiday promotion: {a.holiday}" if a.holiday and page.target in ("primary", "backup") else ""
    trace = f"; {a.trace[-1]}" if a.trace and page.target in ("primary", "backup") else ""
    step = "first page" if page.step == 0 else f"escalation step {page.step}, unacknowledged"
    return f"{engine.label(page.who)} as {role}, {week}{extra}{trace} ({step}; {r.reason}){_local_time(engine, page)}"


def _local_time(engine: OnCallEngine, page) -> str:
    """The page's time where the person is (`team.members[].timezone`), when that is not the team's."""
    tz = ZoneInfo(engine.cfg.member(page.who).timezone)
    if page.at.astimezone(tz).utcoffset() == page.at.astimezone(engine.tz).utcoffset():
        return ""
    return f"; {page.at.astimezone(tz):%a %H:%M %Z} your time ({tz.key})"


def _send(inc, r: Route, step: int | str, who: str | None, why: str, channels: Sequence[str], engine, lineage, settings,
          now, action: str = "trigger") -> list[Notification]:
    title, text, fields, links = render_route(inc, lineage, r, why, engine, settings)
    if who and who not in inc.paged:
        inc.paged.append(who)
    # A closing notification (who is None) goes to everyone paged.
    address = engine.cfg.member(who).email if who else ", ".join(engine.cfg.member(m).email for m in inc.paged) or None
    out = []
    for ch in channels:
        out.append(Notification(
            key=f"{inc.id}|{action}|{step}|{ch}", incident_id=inc.id, action=action, channel=ch,  # type: ignore[arg-type]
            severity=r.severity, title=title, text=text, dedup_key=inc.id, recipient=who, recipient_address=address,  # type: ignore[arg-type]
            fields={**fields, "step": step}, links=links, created_at=now))
        if ch not in inc.channels_told:
            inc.channels_told.append(ch)
    if inc.notified_at is None:
        inc.notified_at, inc.route_mode = now, inc.route_mode or r.mode
    inc.note(now, f"{action} step {step} to {', '.join(channels)}: {why}")
    return out


def _closing(inc: Incident, action: str, engine, lineage, settings, now) -> list[Notification]:
    r = route(engine, lineage, inc, now, settings.severities)
    why = inc.resolution if action == "resolve" else f"acknowledged by {inc.acknowledged_by}"
    out = _send(inc, r, 0, None, why or action, list(inc.channels_told), engine, lineage, settings, now, action)
    if action == "resolve":
        inc.resolve_sent = True
    else:
        inc.ack_sent = True
    return out
