"""How an incident is delivered: its severity level, page or chat or hold, and who is told.

Severity (alerting/severity.py): an alert is *investor-grade* when any pipeline it feeds (itself or
anything downstream, by lineage) has audience `investor`, so a shared staging failure that would
reach an investor number is treated as one. Its level (sev1: investor output wrong or late; sev2:
at risk; sev3: experiment-only or a warning) picks the route from config, `alerting.severities.
<level>.route`: `page` = at any hour, climbing the escalation ladder (oncall.escalation); `chat` =
a message to the chat channels, held outside business hours until the next business morning (team
timezone, weekends and team holidays skipped); a held incident that resolves before then is never
sent. The routing pipeline (whose on-call rota, channel and runbook) is the investor pipeline fed
when investor-grade, else the alert's own pipeline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from pipeline_ops.alerting.incident import Incident
from pipeline_ops.alerting.lineage import Lineage
from pipeline_ops.alerting.severity import RANK, alert_level, channel_severity, highest
from pipeline_ops.config.alerting import DEFAULT_SEVERITIES, SeverityLevel
from pipeline_ops.oncall.engine import OnCallEngine


@dataclass(frozen=True)
class Route:
    severity: str  # what channels are told: critical | error | warning
    mode: str  # page | chat | hold
    pipeline: str  # the routing pipeline
    deliver_at: dt.datetime  # UTC: now for page/chat, the next business opening for hold
    level: str  # sev1 | sev2 | sev3 (alerting.severities)
    reason: str


def investor_pipelines(engine: OnCallEngine, lineage: Lineage, asset: str) -> list[str]:
    return [p for p in lineage.pipelines_fed(asset) if _audience(engine, p) == "investor"]


def _audience(engine: OnCallEngine, pipeline: str) -> str | None:
    try:
        return engine.cfg.pipeline(pipeline).audience
    except Exception:  # an unknown pipeline key (a landing source without one): no audience
        return None


def severity(engine: OnCallEngine, lineage: Lineage, incident: Incident) -> tuple[str, str, str]:
    """(channel severity, routing pipeline, level) of the incident: the highest level over its
    alerts, never below the level it already had (incident.severity)."""
    best, rank, pipeline = "sev3", 0, incident.root_alert.pipeline
    for a in incident.alerts.values():
        inv = investor_pipelines(engine, lineage, a.asset)
        level = alert_level(a.asset, a.kind, a.level, inv)
        if RANK[level] > rank:
            best, rank = level, RANK[level]
            pipeline = (a.pipeline if a.pipeline in inv else inv[0]) if inv else a.pipeline
    level = highest([best], incident.severity)
    any_error = any(a.level == "ERROR" for a in incident.alerts.values())
    return channel_severity(level, any_error), pipeline, level


def route(engine: OnCallEngine, lineage: Lineage, incident: Incident, now: dt.datetime,
          levels: Mapping[str, SeverityLevel] = DEFAULT_SEVERITIES) -> Route:
    sev, pipeline, level = severity(engine, lineage, incident)
    spec = levels[level]
    if spec.route == "page":
        return Route(sev, "page", pipeline, now, level, f"{spec.label} ({spec.meaning}) on {pipeline}: page at any hour")
    opening = engine.business.next_opening(now)
    if opening <= now:
        return Route(sev, "chat", pipeline, now, level, f"{spec.label} on {pipeline} in business hours: chat message")
    local = opening.astimezone(engine.tz)
    return Route(sev, "hold", pipeline, opening, level, f"{spec.label} on {pipeline} outside business hours: held "
                 f"until {local:%a %Y-%m-%d %H:%M %Z}")
