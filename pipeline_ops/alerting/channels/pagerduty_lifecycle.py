"""PagerDuty's own lifecycle, read back: who acknowledged or resolved our incidents in PagerDuty.

The Events API only sends; an on-call engineer acknowledges a page in the PagerDuty app (or by
phone) and expects pipeline_ops to stop escalating. With `api_token_env` set on a pagerduty
channel, each alert tick asks PagerDuty's REST API which of its incidents are acknowledged or
resolved (`GET {api_url}/incidents?statuses[]=acknowledged&statuses[]=resolved&since=..&until=..`,
`Authorization: Token token=…`, `Accept: application/vnd.pagerduty+json;version=2`, pages of
100 by `offset` while `more`, at most 10 pages); an incident's `incident_key` is the `dedup_key`
we triggered it with (`pd_dedup_key(incident id)`). What that means for our incidents is decided
in `alerting/remote.py`. The token is a secret (read-only "REST API key" is enough): it is sent
only in the header and is added to the redactor, so no error text carries it.

Only incidents PagerDuty created from our events carry our key; one merged into another by
PagerDuty's alert grouping has none and is not matched (acknowledge it here with
`pipeline-ops incidents ack`).
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
from dataclasses import dataclass

from pipeline_ops.alerting.channels.http import DEFAULT_TIMEOUT_S, NETWORK_ERRORS, get, short
from pipeline_ops.alerting.channels.redact import Redactor

API_URL = "https://api.pagerduty.com"
PAGE = 100
MAX_PAGES = 10


class LifecycleError(Exception):
    """PagerDuty could not be read this tick (network, HTTP status, body): the message is redacted."""


@dataclass(frozen=True)
class RemoteState:
    dedup_key: str  # PagerDuty's incident_key: the dedup_key of our trigger events
    status: str  # "acknowledged" | "resolved"
    by: str  # who changed it last, as PagerDuty names them ("Asha Rao"), or "PagerDuty"
    at: dt.datetime  # when (aware UTC)


class PagerDutyLifecycle:
    """Reads incident states from one PagerDuty account's REST API."""

    def __init__(self, token: str, *, api_url: str = API_URL, timeout_s: float = DEFAULT_TIMEOUT_S,
                 redactor: Redactor | None = None) -> None:
        self._token = token
        self.api_url = api_url.rstrip("/")
        self.timeout_s = timeout_s
        self.redactor = redactor or Redactor()
        self.redactor.add(token)

    def changed_since(self, since: dt.datetime, until: dt.datetime) -> list[RemoteState]:
        """Acknowledged and resolved incidents created in [since, until] (PagerDuty's window is by
        creation time, at most 6 months; older ones are not asked for)."""
        since = max(since, until - dt.timedelta(days=179))
        out: list[RemoteState] = []
        for page in range(MAX_PAGES):
            query = urllib.parse.urlencode([
                ("statuses[]", "acknowledged"), ("statuses[]", "resolved"), ("since", _iso(since)),
                ("until", _iso(until)), ("limit", PAGE), ("offset", page * PAGE), ("time_zone", "UTC")])
            body = self._get(f"{self.api_url}/incidents?{query}")
            out += [s for s in map(_state, body.get("incidents") or []) if s is not None]
            if not body.get("more"):
                break
        return out

    def _get(self, url: str) -> dict:
        headers = {"Authorization": f"Token token={self._token}",
                   "Accept": "application/vnd.pagerduty+json;version=2"}
        try:
            resp = get(url, timeout=self.timeout_s, headers=headers)
        except NETWORK_ERRORS as exc:
            raise LifecycleError(short(f"pagerduty REST: network error: {type(exc).__name__}: {exc}",
                                       self.redactor, limit=200)) from None
        if resp.status != 200:
            raise LifecycleError(short(f"pagerduty REST: HTTP {resp.status} {resp.body}", self.redactor, limit=200))
        try:
            body = json.loads(resp.body)
        except ValueError:
            raise LifecycleError("pagerduty REST: the answer is not JSON") from None
        if not isinstance(body, dict):
            raise LifecycleError("pagerduty REST: the answer is not a JSON object")
        return body


def _state(incident: object) -> RemoteState | None:
    if not isinstance(incident, dict):
        return None
    key, status = incident.get("incident_key"), incident.get("status")
    if not isinstance(key, str) or status not in ("acknowledged", "resolved"):
        return None
    who = incident.get("last_status_change_by")
    when = incident.get("last_status_change_at") or incident.get("updated_at") or incident.get("created_at")
    try:
        at = dt.datetime.fromisoformat(str(when).replace("Z", "+00:00")).astimezone(dt.timezone.utc)
    except ValueError:
        return None
    name = who.get("summary") if isinstance(who, dict) else None
    return RemoteState(key, status, str(name) if name else "PagerDuty", at)


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
