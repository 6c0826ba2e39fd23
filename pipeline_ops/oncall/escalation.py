"""Per-pipeline answers: incident commander, lead, escalation ladder, severity route, watchers.

Ladder rules (pitfall 9 and the users' wish list):
* `delay_minutes` is elapsed (UTC) time since the previous step that paged someone; the first
  step counts from the alert;
* each step is resolved when it fires, so a ladder crossing a handoff pages the new on-call;
* a step whose target is nobody (already paged, on PTO, or no such role) is skipped and does not
  spend its delay: the next step counts from the last page actually sent;
* a delay waits for someone to acknowledge a page, so until a page has been sent there is nothing
  to wait for: in a coverage gap (no primary, no backup) the first step that finds someone pages
  at once, not after its delay.
* incident commander = the impacted pipeline's secondary owner (plan 002), unless already paged;
* platform lead = `oncall.platform_lead`, else `team.platform_lead`, else (plan 002) whoever is
  neither primary nor backup that week: the first such member in rota order after the primary
  who has not been paged yet.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pipeline_ops.alerting.severity import output_failure_level
from pipeline_ops.oncall.engine import Assignment

if TYPE_CHECKING:
    from pipeline_ops.oncall.engine import OnCallEngine


@dataclass(frozen=True)
class Page:
    step: int
    target: str
    who: str | None  # member id or contact; None = step skipped
    at: dt.datetime | None  # UTC
    note: str = ""


@dataclass(frozen=True)
class RouteDecision:
    """How an alert for a pipeline is delivered at an instant: page now, chat now, or hold."""

    mode: str  # "page" | "chat" | "hold"
    deliver_at: dt.datetime  # UTC; for "hold" the next business day's opening
    reason: str


@dataclass(frozen=True)
class PipelineOnCall:
    pipeline: str
    assignment: Assignment
    incident_commander: str | None
    lead: str | None
    owners: tuple[str, str]
    route: RouteDecision
    watch: str | None = None
    watchers: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def primary(self) -> str | None:
        return self.assignment.primary

    @property
    def backup(self) -> str | None:
        return self.assignment.backup


def route(engine: OnCallEngine, pipeline_key: str, t: dt.datetime) -> RouteDecision:
    """How a failure of this pipeline's output reaches people, from the severity ladder
    (`alerting.severities`): an investor output's ERROR is sev1, an experiment output's sev3; the
    level's route `page` pages at any hour, `chat` chats in business hours, else holds until the next
    business day's opening (weekends and team holidays skipped, team timezone)."""
    pipeline = engine.cfg.pipeline(pipeline_key)
    level = engine.cfg.alerting.severities[output_failure_level(pipeline.audience)]
    if level.route == "page":
        return RouteDecision("page", t, f"{pipeline.audience} output failing: {level.label}, page at any hour")
    opening = engine.business.next_opening(t)
    if opening == t:
        return RouteDecision("chat", t, f"{pipeline.audience} output failing: {level.label}, chat in business hours")
    local = opening.astimezone(engine.tz)
    return RouteDecision("hold", opening, f"{level.label} outside business hours: held until {local:%Y-%m-%d %H:%M %Z}")


def watch_at(engine: OnCallEngine, t: dt.datetime, pipeline_key: str | None = None) -> tuple[str | None, tuple[str, ...]]:
    """The heightened-watch period in force at t (last N days of the month, team timezone)."""
    day = t.astimezone(engine.tz).date()
    month_days = calendar.monthrange(day.year, day.month)[1]
    for period in engine.oc.watch_periods:
        if pipeline_key and period.pipelines and pipeline_key not in period.pipelines:
            continue
        if day.day > month_days - period.last_days_of_month:
            watchers = engine.member_ids() if period.watchers == "all" else list(period.watchers)
            return period.name, tuple(watchers)
    return None, ()


def lead_candidates(engine: OnCallEngine, a: Assignment) -> list[str]:
    fixed = engine.oc.platform_lead or engine.cfg.team.platform_lead
    if fixed:
        return [fixed]
    layer = next((lay for lay in engine.layers if lay.id == a.layer), None)
    members = layer.members if layer else engine.member_ids()
    start = members.index(a.primary) + 1 if a.primary in members else 0
    ordered = [members[(start + i) % len(members)] for i in range(len(members))]
    return [m for m in ordered if m not in (a.primary, a.backup)]


def ladder(engine: OnCallEngine, pipeline_key: str, alert_at: dt.datetime) -> list[Page]:
    """Who is paged when, if nobody acknowledges (see module docstring for the rules)."""
    pipeline = engine.cfg.pipeline(pipeline_key)
    paged: set[str] = set()
    last, sent = alert_at, False
    out: list[Page] = []
    for i, step in enumerate(engine.oc.escalation):
        at = last + dt.timedelta(minutes=step.delay_minutes) if sent else last
        a = engine.who(at)
        if step.target == "contact":
            out.append(Page(i, step.target, step.contact, at))
            last, sent = at, True
            continue
        candidates = {
            "primary": [a.primary], "backup": [a.backup],
            "incident_commander": [pipeline.secondary_owner], "member": [step.member],
        }.get(step.target) or lead_candidates(engine, a)
        who = next((m for m in candidates if m and m not in paged and not engine.off.pto_reason(m, at)), None)
        if who is None:
            out.append(Page(i, step.target, None, None, "skipped: nobody new to page (delay not spent)"))
            continue
        paged.add(who)
        out.append(Page(i, step.target, who, at))
        last, sent = at, True
    return out


def pipeline_oncall(engine: OnCallEngine, pipeline_key: str, t: dt.datetime) -> PipelineOnCall:
    """Everything `who --pipeline` prints: on-call, owners, incident commander, lead, route, watch."""
    pipeline = engine.cfg.pipeline(pipeline_key)
    a = engine.who(t)
    notes = []
    ic = pipeline.secondary_owner
    if ic in (a.primary, a.backup):
        notes.append(f"incident commander {ic} is already on call; the ladder skips that step")
    # The lead the ladder would page if nobody acknowledged (same rule as `ladder`, without
    # resolving every step: `who` must stay cheap).
    taken = {a.primary, a.backup, ic}
    lead = next((m for m in lead_candidates(engine, a) if m not in taken and not engine.off.pto_reason(m, t)), None)
    watch, watchers = watch_at(engine, t, pipeline_key)
    return PipelineOnCall(
        pipeline_key, a, ic, lead, (pipeline.primary_owner, pipeline.secondary_owner),
        route(engine, pipeline_key, t), watch, watchers, tuple(notes),
    )
