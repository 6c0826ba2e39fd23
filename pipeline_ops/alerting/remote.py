"""What PagerDuty's lifecycle means for our incidents (pure: plain values in, commands out).

An incident PagerDuty reports acknowledged is acknowledged here (the ladder stops climbing); one it
reports resolved is resolved here (every channel that got the trigger hears the resolve, PagerDuty
itself included, which ignores a resolve for a resolved key). Nothing moves backwards: a resolved
incident stays resolved, an acknowledged one is not re-opened by a PagerDuty re-trigger, and what
PagerDuty says about an incident we do not hold open is ignored. Commands go through the same
queue as `pipeline-ops incidents ack|resolve`, so the tick applies them in order with the CLI's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pipeline_ops.alerting.channels.pagerduty import pd_dedup_key
from pipeline_ops.alerting.channels.pagerduty_lifecycle import RemoteState
from pipeline_ops.alerting.incident import Incident


def remote_commands(states: Iterable[RemoteState], incidents: Iterable[Incident],
                    key_of: Callable[[str], str] = pd_dedup_key) -> list[dict]:
    """Commands (incident_id, action, by, reason, at) for what PagerDuty changed on open incidents."""
    by_key = {key_of(i.id): i for i in incidents if i.status != "resolved"}
    out: list[dict] = []
    for s in sorted(states, key=lambda s: (s.at, s.dedup_key)):
        inc = by_key.get(s.dedup_key)
        if inc is None:
            continue
        if s.status == "resolved":
            action = "resolve"
        elif s.status == "acknowledged" and inc.status == "open":
            action = "ack"
        else:
            continue
        out.append(dict(incident_id=inc.id, action=action, by=f"{s.by} (PagerDuty)",
                        reason=f"{'resolved' if action == 'resolve' else 'acknowledged'} in PagerDuty", at=s.at))
    return out
