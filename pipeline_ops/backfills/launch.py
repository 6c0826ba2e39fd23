"""Launch a partition backfill through the Dagster webserver's GraphQL API.

This sends what the UI's backfill dialog sends (`launchPartitionBackfill` with an asset selection,
partition names and run tags), so the daemon runs it and the UI shows it under Backfills; the
approval tags travel on every run of it, where the investor guard (guard.py) reads them.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence

LAUNCH = """mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on Error { message } } }"""


class LaunchError(Exception):
    """The backfill was not launched; the message says why and what to do."""


def launch_backfill(url: str, assets: Sequence[str], partitions: Sequence[str], tags: Mapping[str, str],
                    title: str, timeout: float = 60) -> str:
    """Launch it and return the backfill id. `url` is the webserver's base URL."""
    params = {"assetSelection": [{"path": a.split("/")} for a in assets], "partitionNames": list(partitions),
              "tags": [{"key": k, "value": v} for k, v in sorted(tags.items())], "title": title}
    body = json.dumps({"query": LAUNCH, "variables": {"params": params}}).encode()
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
    result = payload["data"]["launchPartitionBackfill"]
    if result["__typename"] != "LaunchBackfillSuccess":
        raise LaunchError(f"the webserver did not launch the backfill ({result['__typename']}): {result.get('message')}")
    return result["backfillId"]
