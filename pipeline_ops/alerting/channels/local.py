"""The local default channel: one JSON line per notification in a file, and a log record.

Each line: `{"key", "incident_id", "action", "channel", "severity", "title", "text", "dedup_key",
"recipient", "recipient_address", "fields", "links", "created_at", "written_at"}` (UTF-8). The
outbox hands over its due items together (`send_many`): their lines go out in one `os.write` on
an `O_APPEND` descriptor and one `fsync`; the parent folder is created if missing.
The line is passed through the channel's `Redactor` (the factory gives it every configured
secret), so a secret that slipped into a notification's text does not land on disk. Appending
is not idempotent: the outbox delivers once. The same notification is logged on the
`pipeline_ops.alerts` logger (CRITICAL/ERROR/WARNING/INFO by severity; INFO for `resolve`).
Result per line: ok, unless the file cannot be written (then all retryable, the OS error in `detail`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from pipeline_ops.alerting.channels.base import ChannelBase
from pipeline_ops.alerting.channels.redact import Redactor
from pipeline_ops.alerting.notification import DeliveryResult, Notification

alerts_logger = logging.getLogger("pipeline_ops.alerts")
_LEVEL = {"critical": logging.CRITICAL, "error": logging.ERROR, "warning": logging.WARNING,
          "info": logging.INFO}


def default_alerts_path(env: Mapping[str, str] | None = None) -> Path:
    """`$DAGSTER_HOME/alerts.jsonl`, else `./alerts.jsonl` (env: `os.environ` when None)."""
    env = os.environ if env is None else env
    return Path(env.get("DAGSTER_HOME") or ".") / "alerts.jsonl"


def local_record(n: Notification, written_at: dt.datetime | None = None) -> dict[str, object]:
    """The JSON object written for `n`."""
    written_at = written_at or dt.datetime.now(dt.timezone.utc)
    return {"key": n.key, "incident_id": n.incident_id, "action": n.action,
            "channel": n.channel, "severity": n.severity, "title": n.title, "text": n.text,
            "dedup_key": n.dedup_key, "recipient": n.recipient,
            "recipient_address": n.recipient_address, "fields": n.fields,
            "links": [{"label": label, "url": url} for label, url in n.links],
            "created_at": n.created_at.isoformat(), "written_at": written_at.isoformat()}


class LocalChannel(ChannelBase):
    """Appends to `path` and logs; no receiver, so no rate limit (`min_interval_s` 0)."""

    kind = "local"

    def __init__(self, name: str, path: str | os.PathLike[str], *,
                 redactor: Redactor | None = None, min_interval_s: float = 0.0) -> None:
        super().__init__(name, min_interval_s=min_interval_s, redactor=redactor, timeout_s=0.0)
        self.path = Path(path)

    def send(self, notification: Notification) -> DeliveryResult:
        """Append one line, fsync, log; retryable if the file cannot be written."""
        return self.send_many([notification])[0]

    def send_many(self, notifications: list[Notification]) -> list[DeliveryResult]:
        """Append one line each with one write and one fsync (the outbox hands a tick's local
        notifications over together); all retryable if the file cannot be written."""
        lines = [self.redactor.redact(json.dumps(local_record(n), ensure_ascii=False, default=str))
                 for n in notifications]
        data = "".join(line + "\n" for line in lines).encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                while data:  # a regular file takes it in one write; loop for the odd case
                    data = data[os.write(fd, data):]
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            failed = DeliveryResult(ok=False, detail=self.redactor.redact(
                f"local: cannot append to {self.path}: {type(exc).__name__}: {exc.strerror or exc}"))
            return [self._finish(n, failed) for n in notifications]
        for n in notifications:
            level = logging.INFO if n.action == "resolve" else _LEVEL.get(n.severity, logging.WARNING)
            alerts_logger.log(level, "%s", self.redactor.redact(
                f"[{n.severity}] {n.action}: {n.title} (incident {n.incident_id}, key {n.key})"))
        return [self._finish(n, DeliveryResult(ok=True, detail=f"local: {self.path}")) for n in notifications]
