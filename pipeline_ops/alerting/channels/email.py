"""E-mail over SMTP (stdlib `smtplib` + `email.message.EmailMessage`), one session per send.

Recipient: the notification's `recipient_address`, else the channel's default `to` list (none at
all = permanent failure). Subject: the title for `trigger`, else `Update: `, `Acknowledged: `,
`Resolved: ` + title. Body: the text, then the links (`label: url`), then incident and severity.
`Message-ID` is derived from the notification key (a receiver can drop a duplicate) and every
message of one incident carries the same `References` header (mail clients thread them).

Session: connect (timeout), STARTTLS when `starttls` (certificate verified with `ssl_context`,
default: the system CAs), LOGIN when `username`, then one `send_message`. Result: 250 = ok (also
when only some of several recipients were refused: the others got it, a retry would duplicate);
SMTP 4xx (451, 421, 454...), a dropped or refused connection, timeouts and TLS errors =
retryable; 5xx (550 recipient refused, 535 bad credentials, 554) and a server without STARTTLS
or AUTH = permanent. The password never appears in a detail or log line.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage

from pipeline_ops.alerting.channels.base import ChannelBase
from pipeline_ops.alerting.channels.http import DEFAULT_TIMEOUT_S, short
from pipeline_ops.alerting.channels.redact import Redactor
from pipeline_ops.alerting.notification import DeliveryResult, Notification

_PREFIX = {"trigger": "", "update": "Update: ", "acknowledge": "Acknowledged: ",
           "resolve": "Resolved: "}


def _msg_id(value: str, kind: str) -> str:
    return f"<{hashlib.sha256(value.encode('utf-8')).hexdigest()[:32]}.{kind}@pipeline-ops>"


def build_message(n: Notification, sender: str, recipients: Sequence[str]) -> EmailMessage:
    """The message sent for `n` (see the module docstring)."""
    msg = EmailMessage()
    msg["Subject"] = " ".join(f"{_PREFIX.get(n.action, '')}{n.title}".split())
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    when = n.created_at if n.created_at.tzinfo else n.created_at.replace(tzinfo=dt.timezone.utc)
    msg["Date"] = email.utils.format_datetime(when)
    msg["Message-ID"] = _msg_id(n.key, "n")
    msg["References"] = _msg_id(n.dedup_key, "incident")
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Pipeline-Ops-Incident"] = n.incident_id
    msg["X-Pipeline-Ops-Action"] = n.action
    msg["X-Pipeline-Ops-Severity"] = n.severity
    body = [n.text.rstrip()]
    if n.links:
        body += ["", "Links:", *(f"- {label}: {url}" for label, url in n.links)]
    body += ["", "--", f"incident {n.incident_id} · severity {n.severity} · {n.action}"]
    msg.set_content("\n".join(body) + "\n")
    return msg


def _code_result(code: int, text: str, what: str) -> DeliveryResult:
    """4xx -> retryable, 5xx -> permanent, anything else (no code) -> retryable."""
    detail = f"smtp: {what} {code} {text}".rstrip()
    return DeliveryResult(ok=False, status=code if code > 0 else None,
                          permanent=500 <= code < 600, detail=detail)


class EmailChannel(ChannelBase):
    """Sends each notification as one e-mail. `password` is added to `redactor`."""

    kind = "email"

    def __init__(self, name: str, host: str, port: int = 587, *, sender: str,
                 starttls: bool = True, username: str | None = None, password: str | None = None,
                 to: Sequence[str] = (), min_interval_s: float = 0.2,
                 timeout_s: float = DEFAULT_TIMEOUT_S, redactor: Redactor | None = None,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        super().__init__(name, min_interval_s=min_interval_s, redactor=redactor,
                         timeout_s=timeout_s)
        self.host, self.port, self.sender, self.starttls = host, port, sender, starttls
        self.username, self._password, self.to = username, password, tuple(to)
        self._ssl_context = ssl_context
        if password:
            self.redactor.add(password)

    def send(self, notification: Notification) -> DeliveryResult:
        """One SMTP session; see the module docstring for how its outcome maps to the result."""
        # Several addresses (an acknowledge or resolve goes to everyone paged) come comma-separated.
        named = [a.strip() for a in (notification.recipient_address or "").split(",") if a.strip()]
        recipients = named or list(self.to)
        if not recipients:
            return self._finish(notification, DeliveryResult(
                ok=False, permanent=True, detail="smtp: no recipient address and no default `to`"))
        return self._finish(notification, self._attempt(notification, recipients))

    def _attempt(self, n: Notification, recipients: list[str]) -> DeliveryResult:
        red = self.redactor
        try:
            msg = build_message(n, self.sender, recipients)
        except ValueError as exc:  # e.g. a line break in an address: the same on every retry
            return DeliveryResult(ok=False, permanent=True,
                                  detail=f"smtp: cannot build the message: {short(str(exc), red)}")
        try:
            # host given to the constructor: starttls verifies the certificate against it
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
            try:
                if self.starttls:
                    smtp.starttls(context=self._ssl_context or ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self._password or "")
                refused = smtp.send_message(msg, from_addr=self.sender, to_addrs=recipients)
            except BaseException:
                smtp.close()  # no QUIT after a failure: it could wait out the timeout again
                raise
            _hang_up(smtp)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            first = next(iter(exc.recipients.values()), (0, b""))
            result = _code_result(min(codes, default=0), short(_decode(first[1]), red),
                                  "recipient refused")
            permanent = bool(codes) and all(500 <= c < 600 for c in codes)  # any 4xx: retry
            return DeliveryResult(ok=False, status=result.status, permanent=permanent,
                                  detail=result.detail)
        except smtplib.SMTPNotSupportedError as exc:
            text = short(str(exc), red)
            return DeliveryResult(ok=False, permanent=True,
                                  detail=f"smtp: not supported by the server: {text}")
        except smtplib.SMTPResponseException as exc:  # sender refused, data, auth, connect, helo
            what = type(exc).__name__.removeprefix("SMTP")
            return _code_result(exc.smtp_code, short(_decode(exc.smtp_error), red), what)
        except (smtplib.SMTPException, OSError) as exc:  # disconnected, refused, timeout, TLS
            return DeliveryResult(ok=False, detail=f"smtp: connection error: "
                                                   f"{short(f'{type(exc).__name__}: {exc}', red)}")
        if refused:
            listed = ", ".join(f"{addr} ({code})" for addr, (code, _t) in refused.items())
            return DeliveryResult(ok=True, status=250, detail=short(
                f"smtp: 250 sent to {len(recipients) - len(refused)} of {len(recipients)}; "
                f"refused: {listed}", red, limit=300))
        return DeliveryResult(ok=True, status=250, detail=f"smtp: 250 sent to {len(recipients)}")


def _hang_up(smtp: smtplib.SMTP) -> None:
    """QUIT politely after a delivery, then close; never raises (not `with SMTP`: a QUIT error
    would turn a delivered message into a failure, or replace the real error)."""
    try:
        if smtp.sock is not None:
            smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        smtp.close()


def _decode(value: bytes | str) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
