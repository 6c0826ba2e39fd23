"""Slack incoming webhook: one JSON POST of `{"text", "blocks"}` per notification.

Message per action (all four are posted):
- `trigger`: header `<emoji> CRITICAL: <title>`, the text, a context line (severity, incident,
  recipient), the links.
- `update`: the same with header `:arrows_counterclockwise: Update (SEVERITY): <title>`.
- `resolve`: header `:white_check_mark: Recovered: <title>`, the text, context, links.
- `acknowledge`: one short line, `:eyes: Acknowledged: <title> — <first line of the text>`.

Within Slack's limits: header text <= 150 characters, each text block <= 3000, the top-level
`text` (the notification fallback) <= 3000. The body is sent as `plain_text` (no mrkdwn to
escape); the context and link lines are mrkdwn with `&`, `<`, `>` escaped.

Answer: 200 with body `ok` = delivered. 429 = retry after `Retry-After` seconds; 5xx, 408 and
network errors = retryable; other 4xx (`invalid_payload`, `no_text`, 403 `action_prohibited`,
404 `channel_not_found`, 410 `channel_is_archived`) = permanent, the error code in `detail`.
The webhook URL is a secret: it never appears in a detail or log line.
"""

from __future__ import annotations

from typing import Any

from pipeline_ops.alerting.channels.base import ChannelBase, truncate
from pipeline_ops.alerting.channels.http import (
    DEFAULT_TIMEOUT_S, NETWORK_ERRORS, classify, network_failure, post_json, short)
from pipeline_ops.alerting.channels.redact import Redactor
from pipeline_ops.alerting.notification import DeliveryResult, Notification

HEADER_LIMIT = 150
TEXT_LIMIT = 3000
SEVERITY_EMOJI = {"critical": ":rotating_light:", "error": ":red_circle:",
                  "warning": ":warning:", "info": ":information_source:"}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(label: str, url: str) -> str:
    safe_url = url.replace(" ", "%20").replace("|", "%7C").replace("<", "%3C").replace(">", "%3E")
    return f"<{safe_url}|{_escape(label)}>"


def headline(n: Notification) -> str:
    """The one-line summary of `n` for its action (unescaped, untruncated)."""
    sev = n.severity.upper()
    if n.action == "resolve":
        return f":white_check_mark: Recovered: {n.title}"
    if n.action == "acknowledge":
        return f":eyes: Acknowledged: {n.title}"
    if n.action == "update":
        return f":arrows_counterclockwise: Update ({sev}): {n.title}"
    return f"{SEVERITY_EMOJI.get(n.severity, ':bell:')} {sev}: {n.title}"


def slack_payload(n: Notification) -> dict[str, Any]:
    """The JSON body posted to the webhook for `n` (see the module docstring)."""
    head = headline(n)
    if n.action == "acknowledge":
        first = next((ln.strip() for ln in n.text.splitlines() if ln.strip()), "")
        line = truncate(_escape(head + (f" — {first}" if first else "")), TEXT_LIMIT)
        return {"text": line, "blocks": [{"type": "section",
                                          "text": {"type": "mrkdwn", "text": line}}]}
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {
        "type": "plain_text", "text": truncate(head, HEADER_LIMIT), "emoji": True}}]
    if n.text.strip():
        blocks.append({"type": "section", "text": {
            "type": "plain_text", "text": truncate(n.text, TEXT_LIMIT), "emoji": True}})
    context = [f"*Severity:* {n.severity}", f"*Incident:* `{_escape(n.incident_id)}`"]
    if n.recipient_address or n.recipient:
        context.append(f"*For:* {_escape(n.recipient_address or n.recipient or '')}")
    if n.fields.get("chat_channel"):
        context.append(f"*Channel:* {_escape(str(n.fields['chat_channel']))}")
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": truncate(item, 300)} for item in context]})
    links: list[str] = []
    for label, url in n.links:
        candidate = _link(label, url)
        if len(" · ".join([*links, candidate])) > TEXT_LIMIT:
            break
        links.append(candidate)
    if links:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": " · ".join(links)}})
    fallback = truncate(_escape(f"{head}\n{n.text}".strip()), TEXT_LIMIT)
    return {"text": fallback, "blocks": blocks}


class SlackChannel(ChannelBase):
    """Posts to a Slack incoming webhook: the one of the notification's chat channel
    (`fields["chat_channel"]`, the pipeline's `chat_channel`) when `channel_urls` has it, else the
    default. Every URL is added to `redactor`."""

    kind = "slack"

    def __init__(self, name: str, webhook_url: str, *, channel_urls: dict[str, str] | None = None,
                 min_interval_s: float = 1.0, timeout_s: float = DEFAULT_TIMEOUT_S,
                 redactor: Redactor | None = None) -> None:
        super().__init__(name, min_interval_s=min_interval_s, redactor=redactor,
                         timeout_s=timeout_s)
        self._url, self._channel_urls = webhook_url, dict(channel_urls or {})
        for url in (webhook_url, *self._channel_urls.values()):
            self.redactor.add_url(url)

    def send(self, notification: Notification) -> DeliveryResult:
        """One POST; see the module docstring for how the answer maps to the result."""
        url = self._channel_urls.get(notification.fields.get("chat_channel") or "", self._url)
        try:
            resp = post_json(url, slack_payload(notification), timeout=self.timeout_s)
        except NETWORK_ERRORS as exc:
            return self._finish(notification, network_failure(
                exc, service="slack", redactor=self.redactor))
        ok = resp.status == 200 and resp.body.strip() == "ok"
        error = "" if ok else short(resp.body, self.redactor, limit=80)
        return self._finish(notification, classify(resp, ok=ok, service="slack", error=error))
