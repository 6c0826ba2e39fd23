"""PagerDuty Events API v2: one POST to `/v2/enqueue` per notification.

- `trigger` and `update`: a full trigger event (an `update` is a trigger with the same dedup_key,
  which PagerDuty adds to the open alert as a new log entry):
  `{"routing_key", "event_action": "trigger", "dedup_key", "payload": {"summary", "source",
  "severity", "timestamp", "component"?, "group"?, "class"?, "custom_details"}, "links",
  "client": "pipeline_ops"}`. `summary` is the title cut to 1024 characters; `source` is the
  notification's `fields["source"]` else the channel's `source`; `component`, `group`, `class`
  come from `fields` (`component`/`asset`, `group`/`pipeline`, `class`/`kind`) and are left out
  when absent; `custom_details` is `fields` plus `text` and `incident_id` (fields win on a clash).
- `acknowledge` / `resolve`: only `routing_key`, `event_action`, `dedup_key`.

`dedup_key` is the notification's, kept as is up to 255 characters; a longer one becomes its
first 238 characters + `~` + 16 hex digits of its SHA-256 (deterministic, so trigger and resolve
still match). Answer: 202 = delivered; 400 (and other 4xx but 408/429) = permanent; 429, 408,
5xx and network errors = retryable (`Retry-After` honoured when present). The routing key is a
secret: it never appears in a detail or log line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from pipeline_ops.alerting.channels.base import ChannelBase, truncate
from pipeline_ops.alerting.channels.http import (
    DEFAULT_TIMEOUT_S, NETWORK_ERRORS, HttpResponse, classify, network_failure, post_json, short)
from pipeline_ops.alerting.channels.redact import Redactor
from pipeline_ops.alerting.notification import DeliveryResult, Notification

EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
SUMMARY_LIMIT = 1024
DEDUP_LIMIT = 255
CLIENT = "pipeline_ops"


def pd_dedup_key(key: str) -> str:
    """`key` if it fits PagerDuty's 255 characters, else a stable shortened form."""
    if len(key) <= DEDUP_LIMIT:
        return key
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return f"{key[: DEDUP_LIMIT - 17]}~{digest}"


def _first(fields: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = fields.get(name)
        if value not in (None, ""):
            return str(value)
    return None


def _iso(when: dt.datetime) -> str:
    """ISO 8601 with an offset (a naive time is taken as UTC)."""
    return (when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)).isoformat()


def pagerduty_event(n: Notification, routing_key: str, source: str = CLIENT) -> dict[str, Any]:
    """The Events API v2 body for `n` (see the module docstring)."""
    event: dict[str, Any] = {"routing_key": routing_key,
                             "event_action": "trigger" if n.action == "update" else n.action,
                             "dedup_key": pd_dedup_key(n.dedup_key)}
    if n.action in ("acknowledge", "resolve"):
        return event
    payload: dict[str, Any] = {
        "summary": truncate(n.title, SUMMARY_LIMIT) or n.incident_id,
        "source": _first(n.fields, "source") or source,
        "severity": n.severity,
        "timestamp": _iso(n.created_at),
    }
    for key, names in (("component", ("component", "asset")), ("group", ("group", "pipeline")),
                       ("class", ("class", "kind"))):
        if (value := _first(n.fields, *names)) is not None:
            payload[key] = value
    payload["custom_details"] = {"text": n.text, "incident_id": n.incident_id, **n.fields}
    event["payload"] = payload
    event["links"] = [{"href": url, "text": label} for label, url in n.links]
    event["client"] = CLIENT
    return event


def _error(resp: HttpResponse, redactor: Redactor) -> str:
    """PagerDuty's `{"status", "message", "errors"}` as one short line."""
    try:
        body = json.loads(resp.body)
    except ValueError:
        return short(resp.body, redactor, limit=160)
    if not isinstance(body, dict):
        return short(resp.body, redactor, limit=160)
    parts = [str(body.get("message") or body.get("status") or "")]
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        parts.append("; ".join(str(e) for e in errors[:3]))
    return short(": ".join(p for p in parts if p), redactor, limit=160)


class PagerDutyChannel(ChannelBase):
    """Sends Events API v2 events for one integration. `routing_key` is added to `redactor`."""

    kind = "pagerduty"

    def __init__(self, name: str, routing_key: str, *, url: str = EVENTS_URL,
                 source: str = CLIENT, min_interval_s: float = 0.5,
                 timeout_s: float = DEFAULT_TIMEOUT_S, redactor: Redactor | None = None) -> None:
        super().__init__(name, min_interval_s=min_interval_s, redactor=redactor,
                         timeout_s=timeout_s)
        self._routing_key = routing_key
        self.url = url
        self.source = source
        self.redactor.add(routing_key)

    def send(self, notification: Notification) -> DeliveryResult:
        """One POST; see the module docstring for how the answer maps to the result."""
        event = pagerduty_event(notification, self._routing_key, self.source)
        try:
            resp = post_json(self.url, event, timeout=self.timeout_s)
        except NETWORK_ERRORS as exc:
            return self._finish(notification, network_failure(
                exc, service="pagerduty", redactor=self.redactor))
        ok = resp.status == 202
        error = f"dedup_key {event['dedup_key']}" if ok else _error(resp, self.redactor)
        return self._finish(notification, classify(resp, ok=ok, service="pagerduty", error=error))
