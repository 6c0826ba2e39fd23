"""Keep secrets out of everything a channel says: `DeliveryResult.detail`, exception text, logs.

A `Redactor` holds secret values (SMTP passwords, routing keys, webhook URLs). `redact(text)`
replaces every occurrence of each with `***`. A URL is registered as several secrets so that any
fragment an error message may quote is caught: the whole URL (becomes `scheme://host/***`, so
the reader still sees *where* it failed), its path+query, its path, its query, its last path
segment (the token of most webhook URLs), each query value and any `user:password@` part, each
also in its percent-encoded and JSON-escaped forms. Longer secrets are replaced first, so a URL
is never half-redacted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, urlsplit

MASK = "***"
_MIN_SEGMENT = 6  # a last path segment / query value shorter ("/v2", "/hook") is no token


class Redactor:
    """A set of secret values and the one function that removes them from text."""

    def __init__(self, secrets: Iterable[str] = (), urls: Iterable[str] = ()) -> None:
        self._plain: set[str] = set()
        self._urls: dict[str, str] = {}  # full URL -> its replacement (scheme://host/***)
        for secret in secrets:
            self.add(secret)
        for url in urls:
            self.add_url(url)

    def add(self, secret: str) -> None:
        """Redact `secret` (and its percent-encoded and JSON-escaped forms) wherever it appears.
        Empty: ignored."""
        if secret:
            self._plain.add(secret)
            self._plain.add(quote(secret, safe=""))
            self._plain.add(json.dumps(secret)[1:-1])

    def add_url(self, url: str) -> None:
        """Redact a secret URL: the host may stay, the path, query and credentials may not."""
        if not url:
            return
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
        except ValueError:  # unparseable (bad port, unbalanced "["): the whole value
            parts, host = None, ""
        if parts is None or not parts.scheme or not parts.hostname:  # not a URL after all
            self.add(url)
            return
        self._urls[url] = f"{parts.scheme}://{host}/{MASK}"
        path_query = parts.path + (f"?{parts.query}" if parts.query else "")
        for fragment in (path_query, parts.query, parts.password or ""):
            self.add(fragment)
        for _name, value in parse_qsl(parts.query, keep_blank_values=True):
            if len(value) >= _MIN_SEGMENT:  # ?token=...: the value alone
                self.add(value)
        if len(parts.path) > 1:
            self.add(parts.path)
            last = parts.path.rstrip("/").rsplit("/", 1)[-1]
            if len(last) >= _MIN_SEGMENT:
                self.add(last)
        if parts.username and parts.password:
            self.add(f"{parts.username}:{parts.password}")

    def merge(self, other: Redactor) -> None:
        """Take on every secret `other` holds."""
        self._plain |= other._plain
        self._urls.update(other._urls)

    def redact(self, text: object) -> str:
        """`str(text)` with every secret replaced by `***` (whole URLs by `scheme://host/***`)."""
        out = str(text)
        for url in sorted(self._urls, key=len, reverse=True):
            out = out.replace(url, self._urls[url])
        for secret in sorted(self._plain, key=len, reverse=True):
            out = out.replace(secret, MASK)
        return out

    __call__ = redact

    def __repr__(self) -> str:  # never the values
        return f"Redactor({len(self._plain) + len(self._urls)} secrets)"
