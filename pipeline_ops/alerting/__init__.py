"""Alerting: failures become incidents grouped by root cause, routed to who is on call, delivered once.

Layout (pure logic apart from Dagster, so it can be tested with plain values):
- `signals.py`: what the sensors observed (a failed check, a failed run, freshness, a late arrival).
- `grouping.py`: signals -> alerts with stable fingerprints -> incidents, lineage-aware.
- `routing.py`: severity from the pipelines downstream, recipients from the on-call engine, silences.
- `notification.py`: the message a channel delivers and the channel interface.
- `channels/`: Slack, PagerDuty Events v2, email (SMTP), generic webhook, local JSON lines.
- `db.py`, `outbox.py`: the durable outbox and notification log (SQLite or PostgreSQL).
- `sensors.py`: the thin Dagster adapters.
"""
