"""`build_channels`: configured `ChannelSpec`s + an environment -> ready `Channel`s.

Never raises for a missing secret: a channel whose secret variable is unset or empty (or holds
something that is not an http(s) URL where a URL is expected) is left out and reported in
`skipped` as `(name, reason)`; the reason names the variable, never its value. Values are
stripped of surrounding whitespace (a secret file's trailing newline). All channels share one
`Redactor` holding every secret read, also returned, so the outbox can scrub its own logs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from pipeline_ops.alerting.channels.email import EmailChannel
from pipeline_ops.alerting.channels.local import LocalChannel, default_alerts_path
from pipeline_ops.alerting.channels.pagerduty import EVENTS_URL, PagerDutyChannel
from pipeline_ops.alerting.channels.pagerduty_lifecycle import API_URL, PagerDutyLifecycle
from pipeline_ops.alerting.channels.redact import Redactor
from pipeline_ops.alerting.channels.slack import SlackChannel
from pipeline_ops.alerting.channels.spec import ChannelSpec
from pipeline_ops.alerting.channels.webhook import WebhookChannel
from pipeline_ops.alerting.notification import Channel


class BuiltChannels(NamedTuple):
    channels: dict[str, Channel]  # configured name -> channel
    skipped: list[tuple[str, str]]  # (name, reason) of channels (or lifecycle read-backs) not built
    redactor: Redactor  # every secret the built channels hold
    lifecycles: dict[str, PagerDutyLifecycle]  # pagerduty channel name -> its REST read-back


class _Skip(Exception):
    pass


def _secret(env: Mapping[str, str], var: str | None, redactor: Redactor, *, url: bool) -> str:
    value = (env.get(var) or "").strip() if var else ""
    if not value:
        raise _Skip(f"environment variable {var} is not set")
    redactor.add(value)  # the whole value, URL or not
    if url:
        redactor.add_url(value)
        try:
            parts = urlsplit(value)
            valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:  # e.g. an unbalanced "[" in the host
            valid = False
        if not valid:
            raise _Skip(f"environment variable {var} does not hold an http(s) URL")
    return value


def _build(name: str, spec: ChannelSpec, env: Mapping[str, str], redactor: Redactor,
           local_path: Path) -> Channel:
    rate = {} if spec.min_interval_s is None else {"min_interval_s": spec.min_interval_s}
    common = {"redactor": redactor, "timeout_s": spec.timeout_s, **rate}
    if spec.type == "slack":
        default = _secret(env, spec.webhook_url_env, redactor, url=True)
        return SlackChannel(name, default, channel_urls=_channel_urls(env, spec, redactor), **common)
    if spec.type == "pagerduty":
        key = _secret(env, spec.routing_key_env, redactor, url=False)
        return PagerDutyChannel(name, key, url=spec.url or EVENTS_URL,
                                source=spec.source or "pipeline_ops", **common)
    if spec.type == "email":
        password = (_secret(env, spec.password_env, redactor, url=False)
                    if spec.password_env else None)
        assert spec.host is not None and spec.sender is not None  # ChannelSpec checked
        return EmailChannel(name, spec.host, spec.port, sender=spec.sender,
                            starttls=spec.starttls, username=spec.username, password=password,
                            to=spec.to, **common)
    if spec.type == "webhook":
        return WebhookChannel(name, _secret(env, spec.url_env, redactor, url=True), **common)
    return LocalChannel(name, Path(spec.path) if spec.path else local_path, redactor=redactor,
                        **rate)


def _channel_urls(env: Mapping[str, str], spec: ChannelSpec, redactor: Redactor) -> dict[str, str]:
    """Per chat channel webhooks whose variable is set (an unset one falls back to the default webhook)."""
    out = {}
    for chat, var in spec.channel_webhooks.items():
        try:
            out[chat] = _secret(env, var, redactor, url=True)
        except _Skip:
            continue
    return out


def build_channels(specs: Mapping[str, ChannelSpec], env: Mapping[str, str] | None = None, *,
                   default_local_path: str | os.PathLike[str] | None = None) -> BuiltChannels:
    """Build every channel whose secrets are present in `env` (default `os.environ`).

    A `local` channel without `path` writes to `default_local_path`, else
    `$DAGSTER_HOME/alerts.jsonl` (DAGSTER_HOME read from `env`), else `./alerts.jsonl`.
    """
    env = os.environ if env is None else env
    local_path = (Path(default_local_path) if default_local_path is not None
                  else default_alerts_path(env))
    redactor = Redactor()
    channels: dict[str, Channel] = {}
    skipped: list[tuple[str, str]] = []
    lifecycles: dict[str, PagerDutyLifecycle] = {}
    for name, spec in specs.items():
        try:
            channels[name] = _build(name, spec, env, redactor, local_path)
        except _Skip as skip:
            skipped.append((name, str(skip)))
            continue
        if spec.type == "pagerduty" and spec.api_token_env:
            try:
                token = _secret(env, spec.api_token_env, redactor, url=False)
            except _Skip as skip:
                skipped.append((f"{name} (PagerDuty acknowledgements read-back)", str(skip)))
                continue
            lifecycles[name] = PagerDutyLifecycle(token, api_url=spec.api_url or API_URL,
                                                  timeout_s=spec.timeout_s, redactor=redactor)
    return BuiltChannels(channels, skipped, redactor, lifecycles)
