"""May a run write investor-facing outputs? The rule, as plain values (no Dagster).

Investors may already have seen a published partition, so replacing one needs an approval, given
as two run tags: `pipeline_ops/approved_by` (the member id of a primary or secondary owner of every
investor output in the run, `pipelines[].primary_owner` / `secondary_owner`) and
`pipeline_ops/approval_reason` (why). In order:

1. approval tags present: allowed when the approver owns every investor output of the run and the
   reason is not empty, refused (naming the tag) otherwise;
2. launched by one of the code location's schedules or sensors, and not part of a backfill: allowed
   (the daily run, and the engagement settle run whose re-publishing the config already decided);
3. any investor output of the run already has one of the run's partitions: refused, with how to
   approve;
4. otherwise allowed: a first build replaces nothing an investor could have seen (a failed day
   re-run before its deadline, a first load).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

APPROVED_BY = "pipeline_ops/approved_by"
APPROVAL_REASON = "pipeline_ops/approval_reason"
JUDGED = "pipeline_ops/approval_judged"  # value: the run id the verdict was reached for
REFUSED = "pipeline_ops/refused"  # set on a refused run, so the alert sensor does not page for it
AUTOMATION_TAGS = ("dagster/schedule_name", "dagster/sensor_name")
BACKFILL_TAG = "dagster/backfill"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    why: str  # one line: what decided it


def approval_tags(approved_by: str, reason: str) -> dict[str, str]:
    """The run tags that approve a run (the CLI and the UI set the same two)."""
    return {APPROVED_BY: approved_by, APPROVAL_REASON: reason}


def how_to_approve(approvers: Iterable[str], replaced: Mapping[str, list[str]]) -> str:
    """What the refused person does next: the CLI command for each output, or the tags in the UI."""
    who = " or ".join(sorted(approvers)) or "an owner"
    commands = "; ".join(f"`pipeline-ops backfill {asset} --from {days[0]} --to {days[-1]} --approved-by <member id> "
                         f"--reason \"<why>\"`" for asset, days in sorted(replaced.items()))
    return (f"To approve, an owner ({who}) launches it again with an approval: {commands}; or, in the UI's "
            f"materialize or backfill dialog, the run tags {APPROVED_BY}=<member id> and {APPROVAL_REASON}=<why>.")


def judge(tags: Mapping[str, str], published: Mapping[str, Iterable[str]], owners: Mapping[str, Iterable[str]]) -> Verdict:
    """The verdict for a run with `tags`: `published` maps each investor output of the run to those
    of the run's partitions already materialized, `owners` each output to who may approve it."""
    approvers = set.intersection(*(set(o) for o in owners.values())) if owners else set()
    approver, reason = tags.get(APPROVED_BY), tags.get(APPROVAL_REASON, "").strip()
    if approver is not None:
        if approver not in approvers:
            return Verdict(False, f"tag {APPROVED_BY}: {approver!r} does not own every investor output of the run "
                                  f"({', '.join(sorted(owners))}; expected {' or '.join(sorted(approvers)) or 'an owner'})")
        if not reason:
            return Verdict(False, f"tag {APPROVAL_REASON} is missing or empty: say why {approver} approved it")
        return Verdict(True, f"approved by {approver}: {reason}")
    automation = next((tags[t] for t in AUTOMATION_TAGS if t in tags), None)
    if automation and BACKFILL_TAG not in tags:
        return Verdict(True, f"launched by {automation}")
    replaced = {asset: sorted(set(done)) for asset, done in published.items() if done}
    if replaced:
        listed = "; ".join(f"{a} {', '.join(p[:3])}{' ...' if len(p) > 3 else ''} ({len(p)} partition(s))"
                           for a, p in sorted(replaced.items()))
        return Verdict(False, f"refused: this run would replace published investor numbers ({listed}) "
                              f"without an approval. {how_to_approve(approvers, replaced)}")
    return Verdict(True, "first build: no investor partition of this run is published yet")
