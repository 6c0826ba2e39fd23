"""Alert channels: each turns a `Notification` into one delivery attempt and a `DeliveryResult`.

- `slack.py`: Slack incoming webhook (`SlackChannel`).
- `pagerduty.py`: PagerDuty Events API v2 (`PagerDutyChannel`).
- `email.py`: SMTP with STARTTLS and AUTH (`EmailChannel`).
- `webhook.py`: generic JSON webhook with an `Idempotency-Key` header (`WebhookChannel`).
- `local.py`: JSON lines in a file plus the `pipeline_ops.alerts` logger (`LocalChannel`).
- `redact.py`: `Redactor`, which keeps every secret out of details, exception text and logs.
- `http.py`: the one stdlib JSON POST and the status -> result mapping the HTTP channels share.
- `spec.py`, `factory.py`: `ChannelSpec` (configuration) and `build_channels`.

Channels make one attempt per `send` and never sleep or retry: the outbox does that.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Exported lazily: the config models import `channels.spec`, and loading the definitions should
# not pay for smtplib, ssl and urllib until a channel is built.
_EXPORTS = {
    "BuiltChannels": "factory", "build_channels": "factory", "ChannelSpec": "spec",
    "EmailChannel": "email", "LocalChannel": "local", "default_alerts_path": "local",
    "EVENTS_URL": "pagerduty", "PagerDutyChannel": "pagerduty", "Redactor": "redact",
    "SlackChannel": "slack", "WebhookChannel": "webhook",
}
__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from pipeline_ops.alerting.channels.email import EmailChannel
    from pipeline_ops.alerting.channels.factory import BuiltChannels, build_channels
    from pipeline_ops.alerting.channels.local import LocalChannel, default_alerts_path
    from pipeline_ops.alerting.channels.pagerduty import EVENTS_URL, PagerDutyChannel
    from pipeline_ops.alerting.channels.redact import Redactor
    from pipeline_ops.alerting.channels.slack import SlackChannel
    from pipeline_ops.alerting.channels.spec import ChannelSpec
    from pipeline_ops.alerting.channels.webhook import WebhookChannel


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
