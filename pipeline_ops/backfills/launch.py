"""Launch a partition backfill through the Dagster webserver's GraphQL API.

This sends what the UI's backfill dialog sends (`launchPartitionBackfill` with a partition range
per asset and run tags), so the daemon runs it and the UI shows it under Backfills; the
approval tags travel on every run of it, where the investor guard (guard.py) reads them.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping

LAUNCH = """mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on Error { message } } }"""


class LaunchError(Exception):
    """The backfill was not launched; the message says why and what to do."""


def _post(url: str, query: str, variables: dict, timeout: float = 60) -> dict:
    """One GraphQL request to the webserver; its JSON answer, or a LaunchError saying what to do."""
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(f"{url.rstrip('/')}/graphql", body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = json.load(response)
    except urllib.error.HTTPError as exc:
        raise LaunchError(f"the Dagster webserver at {url} answered HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise LaunchError(f"cannot reach the Dagster webserver at {url} ({reason}): start it with `make run`, "
                          "or pass --url") from None
    except json.JSONDecodeError:
        raise LaunchError(f"{url}/graphql did not answer JSON: is --url the Dagster webserver?") from None
    if payload.get("errors"):
        raise LaunchError(f"the webserver refused the request: {payload['errors'][0].get('message')}")
    return payload


def launch_backfill(url: str, ranges: Mapping[str, tuple[str, str]], tags: Mapping[str, str], title: str,
                    timeout: float = 60) -> str:
    """Launch it and return the backfill id. `url` is the webserver's base URL; `ranges` maps each
    asset key ("a/b") to its first and last partition key (daily and monthly assets side by side:
    the daemon builds upstream partitions first)."""
    params = {"partitionsByAssets": [{"assetKey": {"path": a.split("/")}, "partitions": {"range": {"start": s, "end": e}}}
                                     for a, (s, e) in sorted(ranges.items())],
              "tags": [{"key": k, "value": v} for k, v in sorted(tags.items())], "title": title}
    payload = _post(url, LAUNCH, {"params": params}, timeout)
    result = payload["data"]["launchPartitionBackfill"]
    if result["__typename"] != "LaunchBackfillSuccess":
        raise LaunchError(f"the webserver did not launch the backfill ({result['__typename']}): {result.get('message')}")
    return result["backfillId"]


STATUS = """query($id: String!) { partitionBackfillOrError(backfillId: $id) {
  __typename ... on PartitionBackfill { status } ... on Error { message } } }"""
DONE = ("COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED")  # final states


def wait_for_backfill(url: str, backfill_id: str, timeout: float, poll_seconds: float = 5) -> str:
    """Poll the backfill until the daemon has finished it; its final status (COMPLETED_SUCCESS, ...)."""
    deadline = time.monotonic() + timeout
    while True:
        payload = _post(url, STATUS, {"id": backfill_id})
        result = payload["data"]["partitionBackfillOrError"]
        if result["__typename"] != "PartitionBackfill":
            raise LaunchError(f"backfill {backfill_id}: {result.get('message')}")
        if result["status"] in DONE:
            return result["status"]
        if time.monotonic() > deadline:
            raise LaunchError(f"backfill {backfill_id} still {result['status']} after {timeout:.0f} s (is the daemon running?)")
        time.sleep(poll_seconds)
