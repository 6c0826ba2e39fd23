"""Real receivers on 127.0.0.1 for channel tests: an HTTP server and an SMTP server (no mocks).

`HttpReceiver` records every request (method, path, headers, raw and JSON body) and answers from
a scripted queue of `Reply`s (then its default). Helpers build the answers Slack and PagerDuty
give. `SmtpReceiver` (aiosmtpd) records messages and logins and can refuse a recipient (550) or
answer 451 at RCPT or DATA, optionally behind STARTTLS with a throwaway self-signed certificate.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # wait this long before answering (timeout tests)


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str  # path + query as sent
    headers: dict[str, str]  # lower-cased names
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw.decode("utf-8"))


# What Slack's incoming webhooks and PagerDuty's Events API v2 answer.
def slack_ok() -> Reply:
    return Reply(200, "ok", {"Content-Type": "text/html"})


def slack_error(status: int, code: str) -> Reply:  # 400 invalid_payload, 404 channel_not_found
    return Reply(status, code, {"Content-Type": "text/html"})


def rate_limited(retry_after: str | None, body: str = "rate_limited") -> Reply:
    return Reply(429, body, {"Retry-After": retry_after} if retry_after is not None else {})


def pd_accepted(dedup_key: str) -> Reply:
    return Reply(202, json.dumps({"status": "success", "message": "Event processed",
                                  "dedup_key": dedup_key}), {"Content-Type": "application/json"})


def pd_invalid(*errors: str) -> Reply:
    return Reply(400, json.dumps({"status": "invalid event", "message": "Event object is invalid",
                                  "errors": list(errors)}), {"Content-Type": "application/json"})


class HttpReceiver:
    """A threaded HTTP server on a free 127.0.0.1 port. Use as a context manager."""

    def __init__(self, default: Reply | None = None) -> None:
        self.default = default or Reply(200, "ok")
        self.requests: list[Recorded] = []
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                reply = receiver._record(Recorded(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, raw))
                time.sleep(reply.delay_s)
                body = reply.body.encode("utf-8")
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up (timeout test)
                    pass

            do_GET = do_POST  # noqa: N815 - a GET is recorded and answered the same way (REST reads)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    def _record(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            return self._queue.popleft() if self._queue else self.default

    def script(self, *replies: Reply) -> HttpReceiver:
        """Answer the next requests with `replies`, in order (then the default)."""
        with self._lock:
            self._queue.extend(replies)
        return self

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> HttpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (connecting is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """(cert, key) for IP 127.0.0.1, made with the `openssl` command line tool."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


@dataclass(frozen=True)
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool  # the session had been upgraded with STARTTLS


class SmtpReceiver:
    """An aiosmtpd server on a free 127.0.0.1 port. Use as a context manager.

    `users`: {login: password} enables AUTH (LOGIN/PLAIN); `tls`: (cert, key) enables STARTTLS
    and then requires it; `echo_password`: a failed AUTH answer quotes the password it got (a
    careless server, for redaction tests). `refuse(address, code)` answers RCPT for that address
    with `code`; `fail_data(code)` answers the next DATA with `code`.
    """

    def __init__(self, *, users: dict[str, str] | None = None,
                 tls: tuple[Path, Path] | None = None, echo_password: bool = False) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self.messages: list[Mail] = []
        self.logins: list[tuple[str, bool]] = []
        self._refused: dict[str, int] = {}
        self._data_failures: deque[int] = deque()
        receiver = self

        def authenticate(server, session, envelope, mechanism, auth_data):  # noqa: ANN001
            login = auth_data.login.decode()
            ok = users is not None and users.get(login) == auth_data.password.decode()
            receiver.logins.append((login, ok))
            message = None if ok or not echo_password else (  # a careless server's answer
                f"535 5.7.8 bad credentials {login}:{auth_data.password.decode()}")
            return AuthResult(success=ok, handled=False, message=message)  # handled=False: 535

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, options):  # noqa
                code = receiver._refused.get(address)
                if code is not None:
                    text = "5.1.1 mailbox unavailable" if code >= 500 else "4.3.0 try again later"
                    return f"{code} {text}"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
                if receiver._data_failures:
                    return f"{receiver._data_failures.popleft()} 4.3.0 local error, try again"
                raw = envelope.content.replace(b"\r\n", b"\n")  # wire CRLF -> Python's \n
                message = message_from_bytes(raw, policy=policy.default)
                receiver.messages.append(Mail(envelope.mail_from, list(envelope.rcpt_tos),
                                              message, session.ssl is not None))
                return "250 Message accepted for delivery"

        kwargs: dict[str, Any] = {}
        if users is not None:
            kwargs.update(authenticator=authenticate, auth_require_tls=tls is not None)
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            kwargs.update(tls_context=context, require_starttls=True)
        self.port = closed_port()
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **kwargs)

    def refuse(self, address: str, code: int = 550) -> None:
        self._refused[address] = code

    def fail_data(self, code: int = 451) -> None:
        self._data_failures.append(code)

    def __enter__(self) -> SmtpReceiver:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()
