"""`ChannelSpec`: how one alert channel is configured (the config models import it).

Secrets are never written in the configuration: the `*_env` fields name the ENVIRONMENT
VARIABLE that holds them (`webhook_url_env` for Slack, `routing_key_env` and `api_token_env` for PagerDuty,
`password_env` for SMTP, `url_env` for a generic webhook). Everything else is plain config.
Strict (no type coercion: `port: "587"` is an error), unknown keys forbidden, and a key that does
not apply to the channel's `type` is an error naming the key, as is a missing required one:

| type      | required                  | optional                                             |
| --------- | ------------------------- | ---------------------------------------------------- |
| slack     | webhook_url_env           | channel_webhooks ({"#chat-channel": ENV}: that pipeline chat channel's own webhook) |
| pagerduty | routing_key_env           | url (default the Events v2 endpoint), source, api_token_env + api_url (read PagerDuty's acks/resolves back) |
| email     | host, sender              | port (587), starttls (true), username + password_env, to |
| webhook   | url_env                   |                                                      |
| local     |                           | path (default `$DAGSTER_HOME/alerts.jsonl`)          |

Every type also takes `min_interval_s` (override of the channel's rate limit) and `timeout_s`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ChannelType = Literal["slack", "pagerduty", "email", "webhook", "local"]
EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
_Address = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]

_COMMON = {"type", "min_interval_s", "timeout_s"}
_FIELDS: dict[str, tuple[set[str], set[str]]] = {  # type -> (required, optional)
    "slack": ({"webhook_url_env"}, {"channel_webhooks"}),
    "pagerduty": ({"routing_key_env"}, {"url", "source", "api_token_env", "api_url"}),
    "email": ({"host", "sender"}, {"port", "starttls", "username", "password_env", "to"}),
    "webhook": ({"url_env"}, set()),
    "local": (set(), {"path"}),
}


class ChannelSpec(BaseModel):
    """One configured channel; `build_channels` turns it into a `Channel`."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    type: ChannelType
    webhook_url_env: EnvName | None = None  # slack: env var holding the incoming-webhook URL
    # slack: a pipeline's `chat_channel` -> env var of that Slack channel's own incoming webhook
    # (a webhook posts to one channel); a chat channel not listed goes to webhook_url_env's.
    channel_webhooks: dict[str, EnvName] = Field(default_factory=dict)
    routing_key_env: EnvName | None = None  # pagerduty: env var holding the integration key
    url: str | None = None  # pagerduty: the Events API endpoint (not a secret)
    source: str | None = Field(default=None, min_length=1)  # pagerduty: payload.source
    api_token_env: EnvName | None = None  # pagerduty: env var holding a REST API key (lifecycle read-back)
    api_url: str | None = None  # pagerduty: the REST API (default https://api.pagerduty.com)
    host: str | None = Field(default=None, min_length=1)  # email: SMTP server
    port: int = Field(default=587, ge=1, le=65535)  # email
    starttls: bool = True  # email: upgrade the connection with STARTTLS (certificate verified)
    username: str | None = Field(default=None, min_length=1)  # email: SMTP AUTH user
    password_env: EnvName | None = None  # email: env var holding the SMTP password
    sender: _Address | None = None  # email: From address
    to: list[_Address] = Field(default_factory=list)  # email: when the step names no address
    url_env: EnvName | None = None  # webhook: env var holding the URL (it may carry a token)
    path: str | None = Field(default=None, min_length=1)  # local: the JSON-lines file
    min_interval_s: float | None = Field(default=None, ge=0)  # None: the channel's default
    timeout_s: float = Field(default=10.0, gt=0, le=120)

    @field_validator("url", "api_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError(f"expected an http(s) URL, got {value!r}")
        return value

    @model_validator(mode="after")
    def _fields_match_type(self) -> ChannelSpec:
        required, optional = _FIELDS[self.type]
        stray = sorted(self.model_fields_set - _COMMON - required - optional)
        if stray:
            raise ValueError(f"{', '.join(stray)} does not apply to a {self.type} channel "
                             f"(allowed: {', '.join(sorted(required | optional | _COMMON))})")
        missing = sorted(name for name in required if getattr(self, name) is None)
        if missing:
            raise ValueError(f"a {self.type} channel needs {', '.join(missing)}")
        if self.type == "email" and (self.username is None) != (self.password_env is None):
            raise ValueError("username and password_env go together (SMTP AUTH needs both)")
        return self
