"""Cross-reference checks that need the whole file: ids that must exist, owners that must differ."""

from __future__ import annotations

from collections import Counter

from pipeline_ops.config.models import PipelineOpsConfig


def reference_problems(cfg: PipelineOpsConfig) -> list[tuple[str, str]]:
    """Return (key path, message) for every dangling or duplicated reference."""
    problems: list[tuple[str, str]] = []
    member_ids = [m.id for m in cfg.team.members]
    known = ", ".join(member_ids)
    for member_id, count in Counter(member_ids).items():
        if count > 1:
            problems.append(("team.members", f"member id {member_id!r} appears {count} times"))
    for i, member in enumerate(cfg.team.members):
        if member.holiday_calendar and member.holiday_calendar not in cfg.calendars:
            problems.append(
                (
                    f"team.members[{i}].holiday_calendar",
                    f"unknown calendar {member.holiday_calendar!r} "
                    f"(expected one of: {', '.join(cfg.calendars) or 'none defined under calendars'})",
                )
            )
    if cfg.team.platform_lead and cfg.team.platform_lead not in member_ids:
        problems.append(("team.platform_lead", f"unknown member {cfg.team.platform_lead!r} (expected one of: {known})"))
    for key, count in Counter(cfg.pipeline_keys).items():
        if count > 1:
            problems.append(("pipelines", f"pipeline key {key!r} appears {count} times"))
    for i, pipeline in enumerate(cfg.pipelines):
        for role in ("primary_owner", "secondary_owner"):
            owner = getattr(pipeline, role)
            if owner not in member_ids:
                problems.append((f"pipelines[{i}].{role}", f"unknown member {owner!r} (expected one of: {known})"))
        if pipeline.primary_owner == pipeline.secondary_owner:
            problems.append(
                (f"pipelines[{i}].secondary_owner", f"must differ from primary_owner ({pipeline.primary_owner!r})")
            )
    return problems
