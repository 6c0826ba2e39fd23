"""How an incident is delivered: its severity, page or chat or hold, and who is told.

Severity (one place): an alert is *investor-grade* when any pipeline it feeds (itself or anything
downstream, by lineage) has audience `investor`, so a shared staging failure that would reach an
investor number is treated as one. Then:
- investor-grade ERROR (a failed blocking check, a failed run, freshness FAIL)  -> `critical`: page
  at any hour and climb the escalation ladder (oncall.escalation);
- investor-grade WARN                                                        -> `warning`: chat;
- experiment-only ERROR -> `error`, WARN -> `warning`: chat.
Chat is held outside business hours until the next business morning (team timezone, weekends and
team holidays skipped), and a held incident that resolves before then is never sent.
The routing pipeline (whose on-call rota, channel and runbook) is the investor pipeline fed when
investor-grade, else the alert's own pipeline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline_ops.alerting.incident import Incident
from pipeline_ops.alerting.lineage import Lineage
from pipeline_ops.oncall.engine import OnCallEngine

RANK = {"info": 0, "warning": 1, "error": 2, "critical": 3}


@dataclass(frozen=True)
class Route:
    severity: str  # critical | error | warning
    mode: str  # page | chat | hold
    pipeline: str  # the routing pipeline
    deliver_at: dt.datetime  # UTC: now for page/chat, the next business opening for hold
    reason: str


def investor_pipelines(engine: OnCallEngine, lineage: Lineage, asset: str) -> list[str]:
    return [p for p in lineage.pipelines_fed(asset) if _audience(engine, p) == "investor"]


def _audience(engine: OnCallEngine, pipeline: str) -> str | None:
    try:
        return engine.cfg.pipeline(pipeline).audience
    except Exception:  # an unknown pipeline key (a landing source without one): no audience
        return None


def severity(engine: OnCallEngine, lineage: Lineage, incident: Incident) -> tuple[str, str]:
    """(severity, routing pipeline) of the incident: the highest over its alerts."""
    best, pipeline = "info", incident.root_alert.pipeline
    for a in incident.alerts.values():
        inv = investor_pipelines(engine, lineage, a.asset)
        sev = ("critical" if a.level == "ERROR" else "warning") if inv else ("error" if a.level == "ERROR" else "warning")
        if RANK[sev] > RANK[best]:
            best, pipeline = sev, (a.pipeline if a.pipeline in inv else inv[0]) if inv else a.pipeline
    return best, pipeline


def route(engine: OnCallEngine, lineage: Lineage, incident: Incident, now: dt.datetime) -> Route:
    sev, pipeline = severity(engine, lineage, incident)
    if sev == "critical":
        return Route(sev, "page", pipeline, now, f"investor-facing ({pipeline}): page at any hour")
    opening = engine.business.next_opening(now)
    if opening <= now:
        return Route(sev, "chat", pipeline, now, f"{sev} on {pipeline} in business hours: chat message")
    local = opening.astimezone(engine.tz)
    return Route(sev, "hold", pipeline, opening, f"{sev} on {pipeline} outside business hours: held until "
                 f"{local:%a %Y-%m-%d %H:%M %Z}")
