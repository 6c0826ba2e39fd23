"""The `alerting:` section of the config: grouping, channels, which channels page and which chat,
the severity ladder, the outage e-mail rule, and silences set in config (more are set with
`pipeline-ops silence add`).

Secrets are never in the file: each channel names the environment variable that holds its
webhook URL, routing key or password (see alerting/channels/spec.py). A channel whose variable is
unset is not built; its notifications wait in the outbox as "channel not configured" (visible in
`pipeline-ops incidents`), never dropped. The `local` channel (a JSON-lines file beside the Dagster
instance, plus the Dagster log) needs nothing, so `make run` alerts with no external service.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

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


class SeverityLevel(_Strict):
    """One rung of the severity ladder: what it means, how it is delivered, what it costs afterwards."""

    label: str = Field(min_length=1)  # shown in alerts and `pipeline-ops incidents`: "Sev-1"
    meaning: str = Field(min_length=1)
    route: Literal["page", "chat"]  # page: any hour, climbs oncall.escalation; chat: held outside business hours
    ack_within_minutes: int | None = Field(default=None, ge=1)  # the expectation printed in the alert
    review_business_days: int | None = Field(default=None, ge=1, le=60)  # post-incident review due; None: none


LEVELS = ("sev1", "sev2", "sev3")  # alerting/severity.py classifies into exactly these
DEFAULT_SEVERITIES = {
    "sev1": SeverityLevel(label="Sev-1", meaning="investor output wrong, or late past its SLA and freshness tolerance",
                          route="page", ack_within_minutes=15, review_business_days=5),
    "sev2": SeverityLevel(label="Sev-2", meaning="investor output at risk: an upstream of it failing an ERROR check "
                          "or its run, its landing late, or the output late within its freshness tolerance",
                          route="page", ack_within_minutes=30, review_business_days=5),
    "sev3": SeverityLevel(label="Sev-3", meaning="experiment-only output, or a warning on any output", route="chat",
                          ack_within_minutes=None, review_business_days=None),
}


class OutageEmail(_Strict):
    """Plan 000: an investor outage unresolved this long is also e-mailed, once (acknowledged or not)."""

    after_minutes: int = Field(default=120, ge=1)
    severities: list[str] = ["sev1"]
    channels: list[str] = Field(min_length=1)


class AlertingConfig(_Strict):
    grouping_wait_seconds: int = Field(default=30, ge=0, le=3600)  # a burst from one root cause: one notification
    ui_base_url: str = "http://127.0.0.1:3000"  # links in alerts point here
    channels: dict[str, ChannelSpec] = {"local": ChannelSpec(type="local")}
    page: list[str] = ["local"]  # channels for investor-grade ERRORs (every escalation step)
    chat: list[str] = ["local"]  # channels for the rest (held outside business hours)
    silences: list[SilenceSpec] = []
    severities: dict[str, SeverityLevel] = DEFAULT_SEVERITIES
    outage_email: OutageEmail | None = None  # None: no outage e-mail

    @model_validator(mode="after")
    def _known_channels(self) -> "AlertingConfig":
        routes = {"page": self.page, "chat": self.chat,
                  "outage_email.channels": self.outage_email.channels if self.outage_email else []}
        for route, names in routes.items():
            unknown = [c for c in names if c not in self.channels]
            if unknown:
                raise ValueError(f"{route}: unknown channel(s) {unknown} (configured: {sorted(self.channels)})")
        if sorted(self.severities) != sorted(LEVELS):
            raise ValueError(f"severities: expected exactly the levels {list(LEVELS)}, got {sorted(self.severities)}")
        unknown = [s for s in (self.outage_email.severities if self.outage_email else []) if s not in LEVELS]
        if unknown:
            raise ValueError(f"outage_email.severities: unknown level(s) {unknown} (expected any of {list(LEVELS)})")
        return self
