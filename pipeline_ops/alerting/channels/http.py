"""One JSON POST (or a GET) over the standard library (`urllib.request`), and how a response maps to a result.

No new dependency: `requests` is in the venv only through Dagster. Every request has a timeout,
follows no redirect (a webhook that moved is a configuration error, and urllib would replay a
POST as a body-less GET), and reads at most 64 KiB of a POST's answer (4 MiB of a GET's). Network failures raise
`OSError` / `http.client.HTTPException` / `ValueError`; callers turn them into a retryable result
with `network_failure`. Environment proxies (`HTTPS_PROXY`, `NO_PROXY`) are honoured.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipeline_ops.alerting.channels.redact import Redactor
from pipeline_ops.alerting.notification import DeliveryResult

USER_AGENT = "pipeline_ops-alerting/1"
DEFAULT_TIMEOUT_S = 10.0
_MAX_BODY = 64 * 1024
NETWORK_ERRORS = (OSError, http.client.HTTPException, ValueError)  # URLError, timeouts, resets


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]  # lower-cased names
    body: str  # decoded as UTF-8 (replacement characters for bad bytes), at most 64 KiB


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
        return None  # urllib then raises HTTPError with the 3xx status


_OPENER = urllib.request.build_opener(_NoRedirect)


def post_json(url: str, payload: Any, *, timeout: float = DEFAULT_TIMEOUT_S,
              headers: Mapping[str, str] | None = None) -> HttpResponse:
    """POST `payload` as UTF-8 JSON once and return the answer, whatever its status."""
    data = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
        **(headers or {})})
    return _open(request, timeout, _MAX_BODY)


def get(url: str, *, timeout: float = DEFAULT_TIMEOUT_S, headers: Mapping[str, str] | None = None,
        max_body: int = 4 * 1024 * 1024) -> HttpResponse:
    """GET `url` once and return the answer (at most `max_body` bytes of it), whatever its status."""
    return _open(urllib.request.Request(url, method="GET", headers={"User-Agent": USER_AGENT, **(headers or {})}),
                 timeout, max_body)


def _open(request: urllib.request.Request, timeout: float, max_body: int) -> HttpResponse:
    try:
        with _OPENER.open(request, timeout=timeout) as resp:
            return _response(resp.status, resp.headers, resp.read(max_body))
    except urllib.error.HTTPError as err:  # a status outside 2xx: still an answer
        try:
            raw = err.read(max_body) if err.fp is not None else b""
        finally:
            err.close()
        return _response(err.code, err.headers, raw)


def _response(status: int, headers: Any, raw: bytes) -> HttpResponse:
    names = {k.lower(): v for k, v in (headers.items() if headers is not None else [])}
    return HttpResponse(status, names, raw.decode("utf-8", errors="replace"))


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """`Retry-After` as seconds: delta-seconds (`"30"`, `"1.5"`) or an HTTP date; None if absent
    or unreadable. A date in the past gives 0."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    now = now or dt.datetime.now(dt.timezone.utc)
    return max(0.0, (when - now).total_seconds())


def short(text: str, redactor: Redactor, limit: int = 120) -> str:
    """First non-blank line of `text`, redacted, at most `limit` characters."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    line = redactor.redact(line)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def classify(resp: HttpResponse, *, ok: bool, service: str, error: str) -> DeliveryResult:
    """The result for a response that was not a network failure.

    `ok`: the caller's success test passed. Otherwise 408, 429 and 5xx are retryable (with the
    `Retry-After` seconds when given); 3xx and other 4xx are permanent; anything else (e.g. a 2xx
    with an unexpected body) is retryable. `error` is the short, already redacted error text.
    """
    status = resp.status
    if ok:
        return DeliveryResult(ok=True, status=status, detail=f"{service}: {status} {error}".strip())
    detail = f"{service}: HTTP {status}" + (f" {error}" if error else "")
    if status in (408, 429) or status >= 500:
        return DeliveryResult(ok=False, status=status, detail=detail,
                              retry_after=parse_retry_after(resp.headers.get("retry-after")))
    if 300 <= status < 500:
        if 300 <= status < 400:
            detail += " (redirect: check the configured URL)"
        return DeliveryResult(ok=False, status=status, permanent=True, detail=detail)
    return DeliveryResult(ok=False, status=status, detail=detail + " (unexpected response)")


def network_failure(exc: BaseException, *, service: str, redactor: Redactor) -> DeliveryResult:
    """A retryable result for a failure before any answer: refused, reset, timed out, DNS.
    A `ValueError` that is not an `OSError` (a malformed URL) is permanent instead."""
    reason = getattr(exc, "reason", None) or exc
    text = short(f"{type(exc).__name__}: {reason}", redactor, limit=200)
    if isinstance(exc, ValueError) and not isinstance(exc, OSError):
        return DeliveryResult(ok=False, permanent=True,
                              detail=f"{service}: invalid request: {text}")
    return DeliveryResult(ok=False, detail=f"{service}: network error: {text}")
