"""What every channel here shares: its name, rate limit, redactor and one log line per attempt.

Channels make ONE attempt per `send` and never sleep or retry (the outbox does). `send` returns a
`DeliveryResult` for every receiver answer and every network failure; it raises only for a
programming error. The log line (logger `pipeline_ops.alerting.channels`: DEBUG when delivered,
WARNING when not) and the result's `detail` are passed through the channel's `Redactor`, and
`repr(channel)` shows no secret.
"""

from __future__ import annotations

import logging

from pipeline_ops.alerting.channels.redact import Redactor
from pipeline_ops.alerting.notification import DeliveryResult, Notification

logger = logging.getLogger("pipeline_ops.alerting.channels")


class ChannelBase:
    """Shared state of the concrete channels (each also satisfies the `Channel` protocol)."""

    kind = "channel"  # the channel type ("slack", "pagerduty", ...), used in log lines

    def __init__(self, name: str, *, min_interval_s: float, redactor: Redactor | None = None,
                 timeout_s: float = 10.0) -> None:
        self.name = name
        self.min_interval_s = min_interval_s
        self.redactor = redactor if redactor is not None else Redactor()
        self.timeout_s = timeout_s

    def _finish(self, notification: Notification, result: DeliveryResult) -> DeliveryResult:
        """Redact the result's detail once more, log the attempt, return the result."""
        detail = self.redactor.redact(result.detail)
        if detail != result.detail:
            result = DeliveryResult(ok=result.ok, status=result.status, permanent=result.permanent,
                                    retry_after=result.retry_after, detail=detail)
        outcome = ("delivered" if result.ok else
                   "failed permanently" if result.permanent else "failed, retryable")
        line = (f"{self.kind} channel {self.name!r}: {notification.action} {outcome} "
                f"(incident {notification.incident_id}, key {notification.key}): {detail}")
        logger.log(logging.DEBUG if result.ok else logging.WARNING, "%s", self.redactor(line))
        return result

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in `…` when it was cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"
