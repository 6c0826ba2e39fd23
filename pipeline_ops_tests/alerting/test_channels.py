"""Alert channels against real receivers on 127.0.0.1: wire formats, answer -> result, secrets.

No mocks: Slack, PagerDuty and webhook channels post to a threaded `http.server` that answers
like the real service; the e-mail channel talks SMTP to aiosmtpd (with STARTTLS and AUTH).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import ssl

import pytest
from pydantic import ValidationError

from pipeline_ops.alerting.channels import (
    ChannelSpec, EmailChannel, LocalChannel, PagerDutyChannel, Redactor, SlackChannel,
    WebhookChannel, build_channels)
from pipeline_ops.alerting.channels.http import parse_retry_after
from pipeline_ops.alerting.notification import Channel, DeliveryResult, Notification
from pipeline_ops_tests.alerting.receivers import (
    HttpReceiver, Reply, SmtpReceiver, closed_port, pd_accepted, pd_invalid, rate_limited,
    self_signed_cert, slack_error, slack_ok)

SLACK_PATH = "/services/T0SECRET1/B0SECRET2/xoxSlackToken5151"
ROUTING_KEY = "R0UT1NGKEYsecret0123456789abcdef"
SMTP_PASSWORD = "pw-Sm7p-secret!"
WEBHOOK_PATH = "/hooks/ingest?token=wh-tok-secret-8899"
CREATED = dt.datetime(2025, 9, 3, 4, 5, 6, tzinfo=dt.timezone.utc)


def note(action: str = "trigger", **over) -> Notification:
    base = dict(
        key=f"inc-42:{action}:0:alice:chan", incident_id="inc-42", action=action,
        channel="chan", severity="critical", title="growth_daily failed: row count 0 (2025-09-02)",
        text="Row count dropped to 0.\nYou are on call.\nNext: see the runbook.",
        dedup_key="pipeline_ops:inc-42", recipient="alice", recipient_address="alice@example.com",
        fields={"asset": "growth_daily", "pipeline": "growth", "kind": "check_failed",
                "partition": "2025-09-02"},
        links=(("Runbook", "https://runbooks.example.com/growth_daily"),
               ("Dagster", "http://localhost:3000/runs/abc")),
        created_at=CREATED)
    base.update(over)
    return Notification(**base)


def assert_no_secret(secrets: list[str], *texts: str) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"secret {secret[:4]}… leaked into {text!r}"


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records)


@pytest.fixture
def http():
    with HttpReceiver() as receiver:
        yield receiver


@pytest.fixture(autouse=True)
def _debug_logs(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.WARNING, logger="mail.log")  # aiosmtpd's transcript is noise...
    caplog.set_level(logging.DEBUG)  # ...every other record is checked (last: handler at DEBUG)


# ---------------------------------------------------------------- redactor, Retry-After


def test_redactor_keeps_scheme_and_host_only():
    red = Redactor(secrets=["hunter2"], urls=[f"https://hooks.slack.com{SLACK_PATH}"])
    text = f"POST https://hooks.slack.com{SLACK_PATH} failed; path {SLACK_PATH}; pw hunter2"
    assert red(text) == "POST https://hooks.slack.com/*** failed; path ***; pw ***"
    assert red("token xoxSlackToken5151 and hunter2%21") == "token *** and ***%21"
    assert red("quoted hunter%32") == "quoted hunter%32"  # not a secret
    assert "hunter2" not in repr(red)


def test_retry_after_seconds_and_http_date():
    now = dt.datetime(2025, 9, 3, 12, 0, 0, tzinfo=dt.timezone.utc)
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("Wed, 03 Sep 2025 12:00:45 GMT", now=now) == 45.0
    assert parse_retry_after("Wed, 03 Sep 2025 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


# ---------------------------------------------------------------- Slack


def test_slack_trigger_wire_format(http):
    http.script(slack_ok())
    channel = SlackChannel("slack", http.url(SLACK_PATH))
    result = channel.send(note())
    assert result == DeliveryResult(ok=True, status=200, detail="slack: 200")
    (req,) = http.requests
    assert (req.method, req.path) == ("POST", SLACK_PATH)
    assert req.headers["content-type"] == "application/json; charset=utf-8"
    body = req.json
    assert body["text"].startswith(":rotating_light: CRITICAL: growth_daily failed")
    header, section, context, links = body["blocks"]
    assert header == {"type": "header", "text": {
        "type": "plain_text", "emoji": True,
        "text": ":rotating_light: CRITICAL: growth_daily failed: row count 0 (2025-09-02)"}}
    assert section["text"] == {"type": "plain_text", "emoji": True, "text": note().text}
    assert [e["text"] for e in context["elements"]] == [
        "*Severity:* critical", "*Incident:* `inc-42`", "*For:* alice@example.com"]
    assert links["text"]["text"] == ("<https://runbooks.example.com/growth_daily|Runbook> · "
                                     "<http://localhost:3000/runs/abc|Dagster>")


def test_slack_actions_and_limits(http):
    channel = SlackChannel("slack", http.url(SLACK_PATH))
    for action in ("update", "resolve", "acknowledge"):
        assert channel.send(note(action)).ok
    long = note(title="T" * 400, text="x & <y> " * 1000)
    assert channel.send(long).ok
    update, resolve, ack, big = (r.json for r in http.requests)
    assert update["blocks"][0]["text"]["text"].startswith(
        ":arrows_counterclockwise: Update (CRITICAL): growth_daily")
    assert resolve["blocks"][0]["text"]["text"].startswith(":white_check_mark: Recovered: growth")
    assert ack == {"text": ":eyes: Acknowledged: growth_daily failed: row count 0 (2025-09-02)"
                           " — Row count dropped to 0.",
                   "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": ack["text"]}}]}
    assert len(big["blocks"][0]["text"]["text"]) == 150
    assert len(big["blocks"][1]["text"]["text"]) == 3000
    assert big["blocks"][1]["text"]["text"].endswith("…")
    assert len(big["text"]) == 3000 and "&lt;y&gt;" in big["text"] and "<y>" not in big["text"]


@pytest.mark.parametrize("reply, expected", [
    (slack_error(400, "invalid_payload"), (400, None, True, "invalid_payload")),
    (slack_error(400, "no_text"), (400, None, True, "no_text")),
    (slack_error(403, "action_prohibited"), (403, None, True, "action_prohibited")),
    (slack_error(404, "channel_not_found"), (404, None, True, "channel_not_found")),
    (slack_error(410, "channel_is_archived"), (410, None, True, "channel_is_archived")),
    (rate_limited("7"), (429, 7.0, False, "rate_limited")),
    (rate_limited(None), (429, None, False, "rate_limited")),
    (Reply(500, "rollup_error"), (500, None, False, "rollup_error")),
    (Reply(503, "", {"Retry-After": "12"}), (503, 12.0, False, "")),
    (Reply(200, "not ok"), (200, None, False, "not ok")),  # 200 without `ok`: retry
])
def test_slack_answers(http, reply, expected):
    http.script(reply)
    result = SlackChannel("slack", http.url(SLACK_PATH)).send(note())
    status, retry_after, permanent, code = expected
    assert (result.ok, result.status, result.retry_after, result.permanent) == (
        False, status, retry_after, permanent)
    assert result.detail == f"slack: HTTP {status}" + (f" {code}" if code else "") + (
        " (unexpected response)" if status == 200 else "")


def test_slack_network_errors_are_retryable():
    port = closed_port()
    result = SlackChannel("slack", f"http://127.0.0.1:{port}{SLACK_PATH}").send(note())
    assert (result.ok, result.permanent, result.status, result.retry_after) == (
        False, False, None, None)
    assert result.detail.startswith("slack: network error: ") and "refused" in result.detail


def test_slack_timeout_is_retryable(http):
    http.script(Reply(200, "ok", delay_s=1.5))
    result = SlackChannel("slack", http.url(SLACK_PATH), timeout_s=0.3).send(note())
    assert (result.ok, result.permanent) == (False, False)
    assert "timed out" in result.detail


def test_slack_secret_never_leaks(http, caplog):
    url = http.url(SLACK_PATH)
    http.script(slack_error(404, f"channel_not_found for {url}"),
                Reply(500, f"error at {SLACK_PATH}"), slack_ok())
    channel = SlackChannel("slack", url)
    results = [channel.send(note()) for _ in range(3)]
    results.append(SlackChannel("s", f"http://127.0.0.1:{closed_port()}{SLACK_PATH}").send(note()))
    assert results[0].detail == "slack: HTTP 404 channel_not_found for http://127.0.0.1:" \
                                f"{http.port}/***"
    assert results[1].detail == "slack: HTTP 500 error at ***"
    secrets = [SLACK_PATH, "xoxSlackToken5151", "B0SECRET2"]
    assert_no_secret(secrets, *(r.detail for r in results), log_text(caplog), repr(channel))
    assert any("slack channel 'slack': trigger failed permanently" in r.getMessage()
               for r in caplog.records)


# ---------------------------------------------------------------- PagerDuty


def test_pagerduty_trigger_wire_format(http):
    http.script(pd_accepted("pipeline_ops:inc-42"))
    channel = PagerDutyChannel("pd", ROUTING_KEY, url=http.url("/v2/enqueue"))
    assert channel.min_interval_s == 0.5
    result = channel.send(note())
    assert result == DeliveryResult(ok=True, status=202,
                                    detail="pagerduty: 202 dedup_key pipeline_ops:inc-42")
    (req,) = http.requests
    assert req.path == "/v2/enqueue"
    assert req.json == {
        "routing_key": ROUTING_KEY, "event_action": "trigger",
        "dedup_key": "pipeline_ops:inc-42",
        "payload": {
            "summary": "growth_daily failed: row count 0 (2025-09-02)",
            "source": "pipeline_ops", "severity": "critical",
            "timestamp": "2025-09-03T04:05:06+00:00",
            "component": "growth_daily", "group": "growth", "class": "check_failed",
            "custom_details": {"text": note().text, "incident_id": "inc-42",
                               "asset": "growth_daily", "pipeline": "growth",
                               "kind": "check_failed", "partition": "2025-09-02"}},
        "links": [{"href": "https://runbooks.example.com/growth_daily", "text": "Runbook"},
                  {"href": "http://localhost:3000/runs/abc", "text": "Dagster"}],
        "client": "pipeline_ops"}


def test_pagerduty_lifecycle_keeps_one_dedup_key(http):
    channel = PagerDutyChannel("pd", ROUTING_KEY, url=http.url("/v2/enqueue"))
    http.default = pd_accepted("pipeline_ops:inc-42")
    for action in ("trigger", "update", "acknowledge", "resolve"):
        assert channel.send(note(action, severity="warning")).status == 202
    trigger, update, ack, resolve = (r.json for r in http.requests)
    assert {r["dedup_key"] for r in (trigger, update, ack, resolve)} == {"pipeline_ops:inc-42"}
    assert update["event_action"] == "trigger" and update["payload"]["severity"] == "warning"
    assert ack == {"routing_key": ROUTING_KEY, "event_action": "acknowledge",
                   "dedup_key": "pipeline_ops:inc-42"}
    assert resolve == {"routing_key": ROUTING_KEY, "event_action": "resolve",
                       "dedup_key": "pipeline_ops:inc-42"}


def test_pagerduty_limits_and_severities(http):
    channel = PagerDutyChannel("pd", ROUTING_KEY, url=http.url("/v2/enqueue"), source="etl-1")
    http.default = pd_accepted("x")
    long_key = "k" * 300
    for severity in ("critical", "error", "warning", "info"):
        channel.send(note(severity=severity, title="S" * 2000, dedup_key=long_key, fields={}))
    channel.send(note("resolve", dedup_key=long_key))
    bodies = [r.json for r in http.requests]
    assert [b["payload"]["severity"] for b in bodies[:4]] == [
        "critical", "error", "warning", "info"]
    payload = bodies[0]["payload"]
    assert len(payload["summary"]) == 1024 and payload["summary"].endswith("…")
    assert payload["source"] == "etl-1" and not {"component", "group", "class"} & set(payload)
    keys = {b["dedup_key"] for b in bodies}
    assert len(keys) == 1 and len(keys.pop()) == 255


@pytest.mark.parametrize("reply, expected", [
    (pd_invalid("'payload.severity' is invalid"),
     (400, None, True,
      "pagerduty: HTTP 400 Event object is invalid: 'payload.severity' is invalid")),
    (rate_limited("30", body='{"status":"throttle event"}'),
     (429, 30.0, False, "pagerduty: HTTP 429 throttle event")),
    (rate_limited(None, body=""), (429, None, False, "pagerduty: HTTP 429")),
    (Reply(500, "Internal Server Error"),
     (500, None, False, "pagerduty: HTTP 500 Internal Server Error")),
    (Reply(502, "", {"Retry-After": "5"}), (502, 5.0, False, "pagerduty: HTTP 502")),
    (Reply(404, "not found"), (404, None, True, "pagerduty: HTTP 404 not found")),
])
def test_pagerduty_answers(http, reply, expected):
    http.script(reply)
    result = PagerDutyChannel("pd", ROUTING_KEY, url=http.url("/v2/enqueue")).send(note())
    assert (result.status, result.retry_after, result.permanent, result.detail) == expected
    assert result.ok is False


def test_pagerduty_network_error_and_secret(http, caplog):
    http.script(pd_invalid(f"routing_key {ROUTING_KEY} is not a valid integration key"))
    channel = PagerDutyChannel("pd", ROUTING_KEY, url=http.url("/v2/enqueue"))
    bad = channel.send(note())
    down = PagerDutyChannel("pd", ROUTING_KEY,
                            url=f"http://127.0.0.1:{closed_port()}/v2/enqueue").send(note())
    assert bad.detail == ("pagerduty: HTTP 400 Event object is invalid: "
                          "routing_key *** is not a valid integration key")
    assert (down.ok, down.permanent, down.status) == (False, False, None)
    assert down.detail.startswith("pagerduty: network error:")
    assert_no_secret([ROUTING_KEY], bad.detail, down.detail, log_text(caplog), repr(channel))


# ---------------------------------------------------------------- e-mail


def email(port: int, **kw) -> EmailChannel:
    kw.setdefault("starttls", False)
    return EmailChannel("mail", "127.0.0.1", port, sender="alerts@pipeline.example", **kw)


def test_email_message_and_default_recipients():
    with SmtpReceiver() as smtp:
        assert email(smtp.port).send(note()) == DeliveryResult(
            ok=True, status=250, detail="smtp: 250 sent to 1")
        channel = email(smtp.port, to=["team@example.com", "lead@example.com"])
        assert channel.send(note("resolve", recipient_address=None)).ok
        nobody = email(smtp.port).send(note(recipient_address=None))
    first, second = smtp.messages
    assert (first.mail_from, first.rcpt_tos) == ("alerts@pipeline.example", ["alice@example.com"])
    msg = first.message
    assert msg["Subject"] == "growth_daily failed: row count 0 (2025-09-02)"
    assert (msg["From"], msg["To"]) == ("alerts@pipeline.example", "alice@example.com")
    assert msg["X-Pipeline-Ops-Incident"] == "inc-42" and msg["Message-ID"].endswith(
        ".n@pipeline-ops>")
    body = msg.get_content()
    assert body.startswith(note().text + "\n\nLinks:\n- Runbook: https://runbooks.example.com/")
    assert "- Dagster: http://localhost:3000/runs/abc" in body
    assert second.rcpt_tos == ["team@example.com", "lead@example.com"]
    assert second.message["Subject"] == "Resolved: growth_daily failed: row count 0 (2025-09-02)"
    assert second.message["References"] == msg["References"]  # one thread per incident
    assert (nobody.ok, nobody.permanent) == (False, True)


def test_email_refusals_map_to_permanent_or_retryable():
    with SmtpReceiver() as smtp:
        smtp.refuse("gone@example.com", 550)
        smtp.refuse("busy@example.com", 451)
        gone = email(smtp.port).send(note(recipient_address="gone@example.com"))
        busy = email(smtp.port).send(note(recipient_address="busy@example.com"))
        smtp.fail_data(451)
        data = email(smtp.port).send(note())
        partial = email(smtp.port, to=["ok@example.com", "gone@example.com"]).send(
            note(recipient_address=None))
    assert (gone.ok, gone.status, gone.permanent) == (False, 550, True)
    assert gone.detail == "smtp: recipient refused 550 5.1.1 mailbox unavailable"
    assert (busy.ok, busy.status, busy.permanent) == (False, 451, False)
    assert (data.ok, data.status, data.permanent) == (False, 451, False)
    assert data.detail.startswith("smtp: DataError 451")
    assert (partial.ok, partial.status) == (True, 250)
    assert partial.detail == "smtp: 250 sent to 1 of 2; refused: gone@example.com (550)"
    assert [m.rcpt_tos for m in smtp.messages] == [["ok@example.com"]]


def test_email_auth_and_network_errors_never_show_the_password(caplog):
    with SmtpReceiver(users={"bot": SMTP_PASSWORD + "x"}, echo_password=True) as smtp:
        bad = email(smtp.port, username="bot", password=SMTP_PASSWORD).send(note())
        good = email(smtp.port, username="bot", password=SMTP_PASSWORD + "x").send(note())
    down = email(closed_port(), username="bot", password=SMTP_PASSWORD).send(note())
    assert good.ok and smtp.logins[-1] == ("bot", True)
    assert {ok for _login, ok in smtp.logins[:-1]} == {False}  # smtplib tries PLAIN, then LOGIN
    assert (bad.ok, bad.status, bad.permanent) == (False, 535, True)
    assert bad.detail == "smtp: AuthenticationError 535 5.7.8 bad credentials bot:***"
    assert (down.ok, down.permanent, down.status) == (False, False, None)
    assert down.detail.startswith("smtp: connection error: ConnectionRefusedError")
    assert_no_secret([SMTP_PASSWORD], good.detail, bad.detail, down.detail, log_text(caplog))


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl tool")
def test_email_starttls_with_auth(tmp_path):
    cert, key = self_signed_cert(tmp_path)
    trusted = ssl.create_default_context(cafile=str(cert))
    with SmtpReceiver(users={"bot": SMTP_PASSWORD}, tls=(cert, key)) as smtp:
        ok = email(smtp.port, starttls=True, username="bot", password=SMTP_PASSWORD,
                   ssl_context=trusted).send(note())
        untrusted = email(smtp.port, starttls=True, username="bot",
                          password=SMTP_PASSWORD).send(note())
        no_auth = email(smtp.port, username="bot", password=SMTP_PASSWORD).send(note())
        no_tls = email(smtp.port).send(note())
    assert ok.ok and [m.tls for m in smtp.messages] == [True]
    assert smtp.logins == [("bot", True)]  # the password never went out without TLS
    assert (untrusted.ok, untrusted.permanent) == (False, False)
    assert "SSLCertVerificationError" in untrusted.detail
    assert (no_auth.ok, no_auth.permanent, no_auth.status) == (False, True, None)
    assert no_auth.detail == ("smtp: not supported by the server: "
                              "SMTP AUTH extension not supported by server.")
    assert (no_tls.ok, no_tls.permanent, no_tls.status) == (False, True, 530)


# ---------------------------------------------------------------- generic webhook


def test_webhook_wire_format_and_idempotency_key(http):
    http.script(Reply(204))
    channel = WebhookChannel("hook", http.url(WEBHOOK_PATH))
    assert channel.send(note("acknowledge")) == DeliveryResult(ok=True, status=204,
                                                                detail="webhook: 204")
    (req,) = http.requests
    assert req.path == WEBHOOK_PATH and req.headers["idempotency-key"] == note("acknowledge").key
    n = note("acknowledge")
    assert req.json == {
        "incident_id": "inc-42", "action": "acknowledge", "severity": "critical",
        "title": n.title, "text": n.text, "dedup_key": "pipeline_ops:inc-42",
        "fields": n.fields, "recipient": "alice", "recipient_address": "alice@example.com",
        "links": [{"label": "Runbook", "url": "https://runbooks.example.com/growth_daily"},
                  {"label": "Dagster", "url": "http://localhost:3000/runs/abc"}],
        "key": n.key, "created_at": "2025-09-03T04:05:06+00:00"}


@pytest.mark.parametrize("reply, expected", [
    (Reply(200, "{}"), (True, 200, None, False)),
    (rate_limited("3"), (False, 429, 3.0, False)),
    (Reply(503, "down", {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),  # a past date: now
     (False, 503, 0.0, False)),
    (Reply(500), (False, 500, None, False)),
    (Reply(422, "bad field"), (False, 422, None, True)),
    (Reply(301, "", {"Location": "http://127.0.0.1:1/elsewhere"}), (False, 301, None, True)),
])
def test_webhook_answers(http, reply, expected, caplog):
    http.script(reply)
    result = WebhookChannel("hook", http.url(WEBHOOK_PATH)).send(note())
    assert (result.ok, result.status, result.retry_after, result.permanent) == expected
    assert len(http.requests) == 1  # a redirect is not followed
    assert_no_secret(["wh-tok-secret-8899", WEBHOOK_PATH], result.detail, log_text(caplog))


def test_webhook_network_error_and_echoed_secret(http, caplog):
    http.script(Reply(401, f"bad token wh-tok-secret-8899 for {WEBHOOK_PATH}"))
    denied = WebhookChannel("hook", http.url(WEBHOOK_PATH)).send(note())
    down = WebhookChannel("hook", f"http://127.0.0.1:{closed_port()}{WEBHOOK_PATH}").send(note())
    assert denied.detail == "webhook: HTTP 401 bad token *** for ***" and denied.permanent
    assert (down.ok, down.permanent) == (False, False)
    assert_no_secret(["wh-tok-secret-8899"], denied.detail, down.detail, log_text(caplog))


# ---------------------------------------------------------------- local


def test_local_appends_json_lines_and_logs(tmp_path, caplog):
    path = tmp_path / "home" / "alerts.jsonl"
    channel = LocalChannel("local", path)
    assert channel.send(note()) == DeliveryResult(ok=True, detail=f"local: {path}")
    assert channel.send(note("resolve", severity="error")).ok
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(ln["key"], ln["action"]) for ln in lines] == [
        ("inc-42:trigger:0:alice:chan", "trigger"), ("inc-42:resolve:0:alice:chan", "resolve")]
    assert lines[0]["links"][0] == {"label": "Runbook",
                                    "url": "https://runbooks.example.com/growth_daily"}
    assert lines[0]["created_at"] == "2025-09-03T04:05:06+00:00"
    alerts = [(r.levelno, r.getMessage()) for r in caplog.records
              if r.name == "pipeline_ops.alerts"]
    assert alerts == [
        (logging.CRITICAL, "[critical] trigger: growth_daily failed: row count 0 (2025-09-02) "
                           "(incident inc-42, key inc-42:trigger:0:alice:chan)"),
        (logging.INFO, "[error] resolve: growth_daily failed: row count 0 (2025-09-02) "
                       "(incident inc-42, key inc-42:resolve:0:alice:chan)")]


def test_local_unwritable_file_is_retryable(tmp_path):
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("")
    result = LocalChannel("local", blocker / "alerts.jsonl").send(note())
    assert (result.ok, result.permanent) == (False, False)
    assert result.detail.startswith(f"local: cannot append to {blocker / 'alerts.jsonl'}: ")


# ---------------------------------------------------------------- spec and factory


def test_channel_spec_validation():
    ok = ChannelSpec.model_validate({"type": "email", "host": "smtp.example.com", "port": 25,
                                     "sender": "a@b.c", "to": ["x@y.z"]})
    assert (ok.port, ok.starttls, ok.to) == (25, True, ["x@y.z"])
    for bad, message in [
        ({"type": "slack"}, "a slack channel needs webhook_url_env"),
        ({"type": "slack", "webhook_url_env": "S", "host": "h"}, "host does not apply to a slack"),
        ({"type": "pagerduty", "routing_key_env": "K", "url": "ftp://x"}, r"expected an http\(s\)"),
        ({"type": "email", "host": "h", "sender": "a@b.c", "port": "25"}, "valid integer"),
        ({"type": "email", "host": "h", "sender": "a@b.c", "username": "u"}, "go together"),
        ({"type": "webhook", "url_env": "lower-case-dash"}, "should match pattern"),
        ({"type": "local", "colour": "red"}, "Extra inputs are not permitted"),
        ({"type": "sms"}, "Input should be 'slack'"),
    ]:
        with pytest.raises(ValidationError, match=message):
            ChannelSpec.model_validate(bad)


def test_build_channels_reports_missing_secrets_and_redacts_everywhere(http, tmp_path, caplog):
    slack_url = http.url(SLACK_PATH)
    specs = {name: ChannelSpec.model_validate(raw) for name, raw in {
        "team_slack": {"type": "slack", "webhook_url_env": "SLACK_URL", "min_interval_s": 2.0},
        "pager": {"type": "pagerduty", "routing_key_env": "PD_KEY", "url": http.url("/v2/e")},
        "mail": {"type": "email", "host": "127.0.0.1", "port": 2525, "starttls": False,
                 "sender": "a@b.c", "username": "bot", "password_env": "SMTP_PW"},
        "hook": {"type": "webhook", "url_env": "HOOK_URL"},
        "bad_hook": {"type": "webhook", "url_env": "BAD_URL"},
        "disk": {"type": "local"},
    }.items()}
    env = {"SLACK_URL": slack_url + "\n", "PD_KEY": ROUTING_KEY, "BAD_URL": "not-a-url-xyz",
           "DAGSTER_HOME": str(tmp_path), "SMTP_PW": ""}
    channels, skipped, redactor, _ = build_channels(specs, env)
    assert sorted(channels) == ["disk", "pager", "team_slack"]
    assert skipped == [("mail", "environment variable SMTP_PW is not set"),
                       ("hook", "environment variable HOOK_URL is not set"),
                       ("bad_hook", "environment variable BAD_URL does not hold an http(s) URL")]
    assert isinstance(channels["team_slack"], SlackChannel)
    assert [c.min_interval_s for c in channels.values()] == [2.0, 0.5, 0.0]
    typed: dict[str, Channel] = channels  # the outbox's view
    assert all(callable(c.send) and c.name == name for name, c in typed.items())
    leaky = note(text=f"hook {slack_url}, key {ROUTING_KEY}, junk not-a-url-xyz")
    assert channels["team_slack"].send(leaky).ok
    assert channels["disk"].send(leaky).ok
    line = (tmp_path / "alerts.jsonl").read_text()
    assert f"hook http://127.0.0.1:{http.port}/***, key ***, junk ***" in line
    assert_no_secret([SLACK_PATH, ROUTING_KEY, "not-a-url-xyz"], line, log_text(caplog),
                     redactor(str(env)), *(repr(c) for c in channels.values()))
    assert http.requests[0].json["blocks"][1]["text"]["text"] == leaky.text  # content unchanged
