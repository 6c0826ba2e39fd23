"""Generic JSON webhook: one POST per notification, for any receiver that speaks HTTP.

Body: `{"incident_id", "action", "severity", "title", "text", "dedup_key", "fields", "links",
"recipient", "recipient_address", "key", "created_at"}` with `links` as `[{"label", "url"}]` and
`created_at` in ISO 8601. Header `Idempotency-Key: <notification key>` (the same on every retry,
so the receiver can drop a duplicate). Answer: any 2xx = delivered; 429, 408, 5xx and network
errors = retryable (`Retry-After` honoured); 3xx and other 4xx = permanent. The URL is a secret
(it often carries a token): it never appears in a detail or log line.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pipeline_ops.alerting.channels.base import ChannelBase
from pipeline_ops.alerting.channels.http import (
    DEFAULT_TIMEOUT_S, NETWORK_ERRORS, classify, network_failure, post_json, short)
from pipeline_ops.alerting.channels.redact import Redactor
from pipeline_ops.alerting.notification import DeliveryResult, Notification


def webhook_payload(n: Notification) -> dict[str, Any]:
    """The JSON body posted for `n`."""
    created = n.created_at if n.created_at.tzinfo else n.created_at.replace(tzinfo=dt.timezone.utc)
    return {"incident_id": n.incident_id, "action": n.action, "severity": n.severity,
            "title": n.title, "text": n.text, "dedup_key": n.dedup_key, "fields": n.fields,
            "links": [{"label": label, "url": url} for label, url in n.links],
            "recipient": n.recipient, "recipient_address": n.recipient_address,
            "key": n.key, "created_at": created.isoformat()}


class WebhookChannel(ChannelBase):
    """Posts to one URL. `url` is added to `redactor`; `headers` are sent on every request
    (their values are added to `redactor` too: they usually hold a token)."""

    kind = "webhook"

    def __init__(self, name: str, url: str, *, headers: dict[str, str] | None = None,
                 min_interval_s: float = 0.2, timeout_s: float = DEFAULT_TIMEOUT_S,
                 redactor: Redactor | None = None) -> None:
        super().__init__(name, min_interval_s=min_interval_s, redactor=redactor,
                         timeout_s=timeout_s)
        self._url = url
        self._headers = dict(headers or {})
        self.redactor.add_url(url)
        for value in self._headers.values():
            self.redactor.add(value)

    def send(self, notification: Notification) -> DeliveryResult:
        """One POST; see the module docstring for how the answer maps to the result."""
        headers = {**self._headers, "Idempotency-Key": notification.key}
        try:
            resp = post_json(self._url, webhook_payload(notification), timeout=self.timeout_s,
                             headers=headers)
        except NETWORK_ERRORS as exc:
            return self._finish(notification, network_failure(
                exc, service="webhook", redactor=self.redactor))
        ok = 200 <= resp.status < 300
        error = "" if ok else short(resp.body, self.redactor, limit=120)
        return self._finish(notification, classify(resp, ok=ok, service="webhook", error=error))
