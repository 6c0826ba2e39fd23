"""Plan 000's e-mail escalation: an investor outage unresolved for 2 hours is also e-mailed, once.

The rule is config, `alerting.outage_email` (`after_minutes` 120, `severities` [sev1], `channels`):
an incident at one of those levels that is still unresolved (open or acknowledged: someone working
on it does not end the outage) `after_minutes` after it opened gets one notification on each of
those channels, addressed to the channel's own list (the e-mail channel's `to`), saying how long it
has been out, who is on it and the runbook. Once: a flag on the incident and the outbox's
idempotency key (`<incident>|trigger|outage|<channel>`), so neither a repeat tick nor a restart
sends it twice. A silenced incident is not e-mailed (dispatch stops before this), and one that
resolves earlier never is.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pipeline_ops.alerting.message import render_route
from pipeline_ops.alerting.notification import Notification

if TYPE_CHECKING:
    from pipeline_ops.alerting.incident import Incident
    from pipeline_ops.alerting.lineage import Lineage
    from pipeline_ops.alerting.routing import Route
    from pipeline_ops.oncall.engine import OnCallEngine


def outage_email(inc: Incident, r: Route, engine: OnCallEngine, lineage: Lineage, settings,
                 now: dt.datetime) -> list[Notification]:
    rule = settings.outage_email
    if rule is None or inc.outage_email_sent or not inc.is_open or r.level not in rule.severities:
        return []
    if now < inc.opened_at + dt.timedelta(minutes=rule.after_minutes):
        return []
    hours = (now - inc.opened_at).total_seconds() / 3600
    on_it = (f"acknowledged by {inc.acknowledged_by}" if inc.status == "acknowledged"
             else f"not acknowledged; paged: {', '.join(inc.paged) or 'nobody yet'}")
    why = f"investor outage unresolved for {hours:.1f} h (alerting.outage_email: after {rule.after_minutes} min); {on_it}"
    title, text, fields, links = render_route(inc, lineage, r, why, engine, settings)
    title = f"{title}: unresolved for {hours:.1f} h"
    inc.outage_email_sent = True
    inc.note(now, f"outage e-mail to {', '.join(rule.channels)}: {why}")
    return [Notification(key=f"{inc.id}|trigger|outage|{ch}", incident_id=inc.id, action="trigger", channel=ch,
                         severity=r.severity, title=title, text=text, dedup_key=inc.id,  # type: ignore[arg-type]
                         fields={**fields, "step": "outage"}, links=links, created_at=now)
            for ch in rule.channels]
