"""What an alert says: everything the person needs at 3 a.m., rendered once from the incident.

Title: severity, the root cause (asset, check, partition) and how many other things it affects.
Body: the summary; pipeline, partition, severity; each failing check with its count, observed value
against its bound or baseline and a few sample rows; the runbook section; the owners; the
investor-facing outputs affected downstream; a link to the asset and partition in the Dagster UI;
and, in one line, why this person was chosen (rotation week, holiday promotion, override,
escalation step). Plain JSON-safe values; secrets never reach an incident, so none reach a message.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from pipeline_ops.alerting.incident import AlertState, Incident
from pipeline_ops.alerting.lineage import Lineage
from pipeline_ops.config.alerting import SeverityLevel

SAMPLE_ROWS = 3


def asset_url(ui_base: str, asset: str, partition: str | None) -> str:
    path = "/".join(quote(part) for part in asset.split("/"))
    return f"{ui_base.rstrip('/')}/assets/{path}" + (f"?partition={quote(partition)}" if partition and ".." not in partition else "")


def _short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _alert_lines(a: AlertState) -> list[str]:
    d = a.details
    head = f"- {a.asset}.{a.name} [{a.partition or 'all partitions'}] {a.level}"
    if d.get("failing_count"):
        head += f", {d['failing_count']} failing"
    lines = [head + f": {_short(a.summary, 400)}"]
    if d.get("observed") or d.get("bound"):
        lines.append(f"  observed {_short(d.get('observed', {}))} vs bound {_short(d.get('bound', {}))}")
    for row in (d.get("sample") or [])[:SAMPLE_ROWS]:
        lines.append(f"  sample: {_short(row, 200)}")
    if d.get("sql"):
        lines.append(f"  rows: {_short(d['sql'], 400)}")
    return lines


def affected_outputs(incident: Incident, lineage: Lineage, investor: set[str]) -> list[str]:
    """Investor-facing outputs (each investor pipeline's own asset) at or downstream of the root cause,
    whether or not they alerted yet."""
    root = incident.root_alert.asset
    return sorted(a for a in {root, *lineage.descendants(root)} if a in investor)


def render_route(incident: Incident, lineage: Lineage, r, why: str, engine, settings,
                 ) -> tuple[str, str, dict[str, Any], tuple[tuple[str, str], ...]]:
    """`render` for a routed incident (routing.Route): its level from `settings.severities`, the
    investor pipelines and the routing pipeline's `chat_channel` (Slack posts there) from config."""
    pipelines = {p.key: p for p in engine.cfg.pipelines}
    investor = {k for k, p in pipelines.items() if p.audience == "investor"}
    title, text, fields, links = render(incident, lineage, r.severity, r.pipeline, why, settings.ui_base_url,
                                        investor, settings.severities[r.level])
    fields["chat_channel"] = pipelines[r.pipeline].chat_channel if r.pipeline in pipelines else None
    return title, text, fields, links


def render(incident: Incident, lineage: Lineage, severity: str, pipeline: str, why: str, ui_base: str,
           investor_pipelines: set[str], level: SeverityLevel | None = None,
           ) -> tuple[str, str, dict[str, Any], tuple[tuple[str, str], ...]]:
    """(title, text, fields, links) of the incident's notification; `level` is its rung of the
    severity ladder (label, ack expectation, review)."""
    root = incident.root_alert
    others = [a for a in incident.alerts.values() if a.fingerprint != root.fingerprint]
    label = level.label if level else severity.upper()
    title = f"[{label}] {root.asset}.{root.name} failed for {root.partition or 'all partitions'}"
    if others:
        title += f" (+{len(others)} related)"
    affected = affected_outputs(incident, lineage, investor_pipelines)
    runbook = root.details.get("runbook")
    url = asset_url(ui_base, root.asset, root.partition)
    lines = [root.summary, "", f"pipeline {pipeline} | partition {root.partition or 'all'} | {label}"
             + (f" ({level.meaning})" if level else f" | severity {severity}"),
             *_expectations(incident, level),
             "failing:", *[line for a in (root, *others) if a.failing for line in _alert_lines(a)]]
    if affected:
        lines.append(f"investor-facing outputs affected: {', '.join(affected)}")
    if runbook:
        lines.append(f"runbook: {runbook}")
    if root.details.get("owners"):
        lines.append(f"owners: {root.details['owners']}")
    lines += [f"in Dagster: {url}", f"why you: {why}", f"incident {incident.id}: pipeline-ops incidents ack {incident.id}"]
    fields = {"incident_id": incident.id, "pipeline": pipeline, "asset": root.asset, "check": root.name,
              "partition": root.partition, "severity": severity, "level": incident.severity, "label": label,
              "review_due": incident.review_due, "affected_outputs": affected,
              "also_affects": [f"{a.asset}.{a.name}[{a.partition or 'all'}]" for a in others], "why": why}
    links = tuple((label, href) for label, href in (("runbook", runbook), ("Dagster", url)) if href)
    return title, "\n".join(lines), fields, links


def _expectations(incident: Incident, level: SeverityLevel | None) -> list[str]:
    """What the level asks of the person told: acknowledge within N minutes, a review by a date."""
    if level is None:
        return []
    parts = [f"acknowledge within {level.ack_within_minutes} min"] if level.ack_within_minutes else []
    if incident.review_due:
        parts.append(f"post-incident review due {incident.review_due}")
    return ["; ".join(parts)] if parts else []
