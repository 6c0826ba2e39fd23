"""The `alerting:` section of the config: grouping, channels, which channels page and which chat,
and silences set in config (more are set with `pipeline-ops silence add`).

Secrets are never in the file: each channel names the environment variable that holds its
webhook URL, routing key or password (see alerting/channels/spec.py). A channel whose variable is
unset is not built; its notifications wait in the outbox as "channel not configured" (visible in
`pipeline-ops incidents`), never dropped. The `local` channel (a JSON-lines file beside the Dagster
instance, plus the Dagster log) needs nothing, so `make run` alerts with no external service.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pipeline_ops.alerting.channels.spec import ChannelSpec


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SilenceSpec(_Strict):
    """A maintenance window: alerts matching every given pattern (fnmatch) are recorded, not sent."""

    id: str = Field(min_length=1)
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str = Field(min_length=1)
    created_by: str = Field(min_length=1)
    pipeline: str | None = None
    asset: str | None = None
    check: str | None = None

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            raise ValueError("needs a timezone (e.g. 2025-09-03T02:00:00Z)")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> "SilenceSpec":
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class AlertingConfig(_Strict):
    grouping_wait_seconds: int = Field(default=30, ge=0, le=3600)  # a burst from one root cause: one notification
    ui_base_url: str = "http://127.0.0.1:3000"  # links in alerts point here
    channels: dict[str, ChannelSpec] = {"local": ChannelSpec(type="local")}
    page: list[str] = ["local"]  # channels for investor-grade ERRORs (every escalation step)
    chat: list[str] = ["local"]  # channels for the rest (held outside business hours)
    silences: list[SilenceSpec] = []

    @model_validator(mode="after")
    def _known_channels(self) -> "AlertingConfig":
        for route in ("page", "chat"):
            unknown = [c for c in getattr(self, route) if c not in self.channels]
            if unknown:
                raise ValueError(f"{route}: unknown channel(s) {unknown} (configured: {sorted(self.channels)})")
        return self
