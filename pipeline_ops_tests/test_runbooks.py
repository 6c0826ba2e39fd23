"""Runbooks stay in step with the config and the lake: files, sections, owners, SLAs, queries.

What a person paged at 3 a.m. relies on: the runbook the asset links to exists; it has the
sections alerts deep-link to; the owner/SLA table matches the config that drives schedules;
every `pipeline-ops sql` query it quotes names only real lake tables; links and anchors resolve.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from pipeline_ops.config import load_config
from pipeline_ops.landing.contract import SOURCES
from pipeline_ops.settings import PROJECT_DIR
from pipeline_ops_tests.doc_commands import prose_lines

RUNBOOKS = PROJECT_DIR / "runbooks"
ONCALL = RUNBOOKS / "oncall.md"  # written separately; linked to, not checked here

OUTPUTS = {
    "profit_unit_level", "profit_aggregate", "growth_daily", "growth_aggregate", "engagement_aggregate",
    "investor_monthly_report",
}
STAGING = {
    "stg_fx_rates", "stg_experiment_assignments", "stg_account_daily", "stg_revenue_usd", "stg_revenue_recognised", "stg_costs_usd",
    "stg_subscription_events_usd", "stg_click_events", "stg_sessions", "stg_user_activity_daily",
}
LAKE_TABLES = OUTPUTS | STAGING | {"ops_materializations", "quarantine_click_events"}
ASSET_KEYS = OUTPUTS | STAGING | {f"landing/{s}" for s in SOURCES}

REQUIRED_SECTIONS = [
    "purpose-and-consumers",
    "inputs-and-lineage",
    "first-checks",
    "failure-modes",
    "re-run-and-backfill",
    "communication",
    "escalation",
]
FAILURE_MODE_FIELDS = ["**Symptom:**", "**Blast radius:**", "**Confirm:**", "**Act:**", "**Escalate:**"]
def _cli_commands() -> set[str]:
    """The real `pipeline-ops` command names, from its parser."""
    import argparse

    from pipeline_ops.cli.main import build_parser

    return {name for action in build_parser()._actions if isinstance(action, argparse._SubParsersAction)
            for name in action.choices}


CLI_COMMANDS = _cli_commands()
# commands whose every quoted example must parse with the real argparse parser
PARSED_COMMANDS = {"incidents", "silence"}
# GitHub-style anchors equal to the heading text: lowercase, hyphens (underscores kept for source names)
ANCHOR = re.compile(r"^[a-z0-9_]+(?:-[a-z0-9_]+)*$")
SQL_COMMAND = re.compile(r'pipeline-ops sql\b[^"\n]*"((?:[^"\\]|\\.)*)"', re.S)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


# -- parsing helpers ---------------------------------------------------------------------------
@cache
def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")




def headings(markdown: str) -> list[tuple[int, str]]:
    out = []
    for line in prose_lines(markdown):
        match = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if match:
            out.append((len(match.group(1)), match.group(2)))
    return out


def section(markdown: str, name: str) -> str:
    """The body of the `## name` section, up to the next `##` heading."""
    match = re.search(rf"^## {re.escape(name)}\n(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    assert match, f"no '## {name}' section"
    return match.group(1)


def subsections(body: str) -> dict[str, str]:
    parts = re.split(r"^### (.+)$", body, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def plain(cell: str) -> str:
    """Markdown table cell to plain text: links to their text, no backticks."""
    cell = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", cell)
    return cell.replace("`", "").strip()


def markdown_table(markdown: str, first_header: str, *more_headers: str) -> list[dict[str, str]]:
    """Rows of the first table whose header starts with `first_header` (and has `more_headers`)."""
    lines = markdown.splitlines()
    for i, line in enumerate(lines):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == first_header and set(more_headers) <= set(cells):
            rows = []
            for row in lines[i + 2:]:
                if not row.startswith("|"):
                    break
                values = [c.strip() for c in row.strip().strip("|").split("|")]
                rows.append(dict(zip(cells, values, strict=True)))
            return rows
    raise AssertionError(f"no table with first column {first_header!r}")


def sql_tables(query: str) -> set[str]:
    """Tables a query reads (CTE names excluded), from DuckDB's parser; table functions rejected."""
    con = duckdb.connect()
    ast = json.loads(con.execute("select json_serialize_sql(?)", [query]).fetchone()[0])
    if ast.get("error"):  # not a SELECT (e.g. DESCRIBE): the client's own extraction parses it
        return set(duckdb.get_table_names(query, qualified=False))
    tables: set[str] = set()
    ctes: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "BASE_TABLE":
                tables.add(node["table_name"])
            if node.get("type") == "TABLE_FUNCTION":
                tables.add(f"<table function {node['function'].get('function_name')}>")
            cte_map = node.get("cte_map")
            if isinstance(cte_map, dict):
                ctes.update(entry["key"] for entry in cte_map.get("map", []))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(ast)
    return tables - ctes


def sla_text(pipeline) -> str:
    sla = pipeline.sla
    local = dt.datetime.combine(dt.date(2025, 1, 15), sla.deadline_time, tzinfo=ZoneInfo(sla.timezone))
    utc = local.astimezone(dt.timezone.utc).strftime("%H:%M")
    when = "daily" if sla.cadence == "daily" else f"monthly on day {sla.day_of_month}"
    return f"{when} by {sla.deadline} {sla.timezone} ({utc} UTC)"


# -- fixtures ----------------------------------------------------------------------------------
CONFIG = load_config()
PIPELINES = {p.key: p for p in CONFIG.pipelines}
OWN_FILES = sorted(
    {PROJECT_DIR / p.runbook for p in CONFIG.pipelines} | {RUNBOOKS / "README.md", RUNBOOKS / "landing_sources.md"}
)


def all_runbook_files() -> list[Path]:
    return sorted(RUNBOOKS.glob("*.md"))


# -- tests -------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", sorted(PIPELINES))
def test_every_pipeline_has_its_runbook_file(key):
    path = PROJECT_DIR / PIPELINES[key].runbook
    assert path.is_file(), f"pipeline {key}: runbook {PIPELINES[key].runbook} does not exist"
    assert path.parent == RUNBOOKS, f"pipeline {key}: runbook should live in runbooks/"


@pytest.mark.parametrize("key", sorted(PIPELINES))
def test_pipeline_runbook_has_required_sections_in_order(key):
    markdown = text(PROJECT_DIR / PIPELINES[key].runbook)
    level2 = [h for level, h in headings(markdown) if level == 2]
    missing = [s for s in REQUIRED_SECTIONS if s not in level2]
    assert not missing, f"{key}: missing sections {missing}"
    assert [h for h in level2 if h in REQUIRED_SECTIONS] == REQUIRED_SECTIONS, f"{key}: sections out of order"


@pytest.mark.parametrize("path", OWN_FILES, ids=lambda p: p.name)
def test_headings_are_stable_lowercase_anchors(path):
    names = [h for level, h in headings(text(path)) if level >= 2]
    bad = [h for h in names if not ANCHOR.match(h)]
    assert not bad, f"{path.name}: headings must be lowercase-hyphen anchors: {bad}"
    dupes = sorted({h for h in names if names.count(h) > 1})
    assert not dupes, f"{path.name}: duplicate anchors {dupes}"


@pytest.mark.parametrize("key", sorted(PIPELINES))
def test_failure_modes_are_complete_entries(key):
    modes = subsections(section(text(PROJECT_DIR / PIPELINES[key].runbook), "failure-modes"))
    assert len(modes) >= 5, f"{key}: expected the plans' failure modes, found {sorted(modes)}"
    for name, body in modes.items():
        missing = [f for f in FAILURE_MODE_FIELDS if f not in body]
        assert not missing, f"{key}#{name}: missing {missing}"
    # every pipeline can be late, or not run at all
    assert {"late-upstream-partition", "scheduler-paused-or-misfire", "expired-credentials"} <= set(modes), key


@pytest.mark.parametrize("key", sorted(PIPELINES))
def test_purpose_states_sla_channel_and_owner_command(key):
    pipeline = PIPELINES[key]
    purpose = section(text(PROJECT_DIR / pipeline.runbook), "purpose-and-consumers")
    assert f"{pipeline.sla.deadline} {pipeline.sla.timezone}" in purpose, f"{key}: SLA deadline not stated"
    assert pipeline.chat_channel in purpose, f"{key}: channel {pipeline.chat_channel} not stated"
    assert f"pipeline-ops oncall who --pipeline {key}" in purpose, f"{key}: owner lookup command missing"


@pytest.mark.parametrize("key", sorted(PIPELINES))
def test_runbook_links_oncall_and_states_policy(key):
    markdown = text(PROJECT_DIR / PIPELINES[key].runbook)
    assert re.search(r"\]\(oncall\.md(#[a-z-]+)?\)", section(markdown, "escalation")), f"{key}: escalation must link oncall.md"
    comms = section(markdown, "communication")
    assert PIPELINES[key].chat_channel in comms
    backfill = section(markdown, "re-run-and-backfill")
    if PIPELINES[key].audience == "investor":
        assert "30 minutes" in comms and "5 business days" in comms, f"{key}: incident/RCA rule missing"
        assert "approval" in backfill, f"{key}: investor backfills need approval"
    else:
        assert "7 days" in backfill, f"{key}: experiment auto-backfill window missing"


def test_readme_table_matches_config():
    rows = markdown_table(text(RUNBOOKS / "README.md"), "pipeline", "primary owner", "SLA")
    by_key = {plain(r["pipeline"]): r for r in rows}
    assert sorted(by_key) == sorted(PIPELINES), "README table must list exactly the configured pipelines"
    for key, row in by_key.items():
        pipeline = PIPELINES[key]
        primary, secondary = CONFIG.member(pipeline.primary_owner), CONFIG.member(pipeline.secondary_owner)
        link = re.search(r"\]\(([^)]+)\)", row["pipeline"])
        assert link and (RUNBOOKS / link.group(1)).resolve() == (PROJECT_DIR / pipeline.runbook).resolve(), key
        assert plain(row["audience"]) == pipeline.audience, key
        assert plain(row["primary owner"]) == f"{primary.name} ({primary.id})", key
        assert plain(row["secondary owner"]) == f"{secondary.name} ({secondary.id})", key
        assert plain(row["SLA"]) == sla_text(pipeline), key
        assert plain(row["channel"]) == pipeline.chat_channel, key


def test_readme_failure_mode_index_matches_runbooks():
    daily = {k for k, p in PIPELINES.items() if p.sla.cadence == "daily"}
    found: dict[str, set[str]] = {}
    for key, pipeline in PIPELINES.items():
        for mode in subsections(section(text(PROJECT_DIR / pipeline.runbook), "failure-modes")):
            found.setdefault(mode, set()).add(key)
    index = {}
    for row in markdown_table(text(RUNBOOKS / "README.md"), "anchor", "runbooks"):
        where = plain(row["runbooks"])
        keys = set(PIPELINES) if where == "all six" else daily if where == "all five daily runbooks" else {
            w.strip() for w in where.split(",")
        }
        index[plain(row["anchor"])] = keys
    assert index == found, "README failure-mode index and the runbooks' failure-mode subsections differ"


def test_landing_runbook_covers_every_source():
    markdown = text(RUNBOOKS / "landing_sources.md")
    covered = set(subsections(section(markdown, "sources")))
    assert covered == set(SOURCES), f"landing_sources.md sources differ from the contract: {covered ^ set(SOURCES)}"
    rows = markdown_table(markdown, "source")
    assert {plain(r["source"]) for r in rows} == set(SOURCES)


def test_sql_queries_name_only_lake_tables():
    queries = [(p.name, q) for p in all_runbook_files() for q in SQL_COMMAND.findall(text(p))]
    assert len(queries) >= 50, "expected the runbooks to quote their diagnostic queries"
    problems = []
    for name, query in queries:
        try:
            tables = sql_tables(query)
        except duckdb.Error as exc:
            problems.append(f"{name}: does not parse: {exc}: {query[:80]}")
            continue
        if not tables:
            problems.append(f"{name}: reads no table: {query[:80]}")
        unknown = tables - LAKE_TABLES
        if unknown:
            problems.append(f"{name}: unknown table(s) {sorted(unknown)} in: {query[:80]}")
    assert not problems, "\n".join(problems)


def test_commands_jobs_schedules_and_assets_exist():
    from pipeline_ops.definitions import defs

    defined = {"job": {j.name for j in defs.jobs}, "schedule": {s.name for s in defs.schedules}}
    problems = []
    for path in OWN_FILES:
        markdown = text(path)
        for command in re.findall(r"pipeline-ops (\w+)", markdown):
            if command not in CLI_COMMANDS:
                problems.append(f"{path.name}: unknown command 'pipeline-ops {command}'")
        for key, kind in re.findall(r"\b([a-z][a-z0-9_]*)_(job|schedule)\b", markdown):
            if f"{key}_{kind}" not in defined[kind]:
                problems.append(f"{path.name}: {key}_{kind} is not a {kind} of the definitions")
        for name in re.findall(r"\bstg_[a-z_]+\b", markdown):
            if name not in STAGING:
                problems.append(f"{path.name}: unknown staging asset {name}")
        for key in re.findall(r"/assets/([a-z0-9_/]+?)(?:\?|`|\)|,|\s|$)", markdown):
            if key not in ASSET_KEYS:
                problems.append(f"{path.name}: UI path to unknown asset {key}")
    assert not problems, "\n".join(problems)


def quoted_commands(markdown: str, commands: set[str]) -> list[str]:
    """`pipeline-ops CMD ...` as written in an inline code span or a line of a fenced block."""
    found, fenced = [], False
    head = re.compile(rf"pipeline-ops (?:{'|'.join(sorted(commands))})\b")
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        spans = [line] if fenced else re.findall(r"`([^`]+)`", line)
        for span in spans:
            match = head.search(span)
            if match:
                found.append(span[match.start():].strip())
    return found


def test_alert_commands_in_runbooks_parse():
    """Every `pipeline-ops incidents|silence ...` a runbook quotes is accepted by the CLI's parser."""
    from pipeline_ops.cli.main import build_parser

    parser = build_parser()
    commands = [(p.name, c) for p in all_runbook_files() for c in quoted_commands(text(p), PARSED_COMMANDS)]
    assert len(commands) >= 10, f"expected the runbooks to quote the alert commands, found {commands}"
    problems = []
    for name, command in commands:
        try:
            argv = shlex.split(command, comments=True)[1:]
            parser.parse_args(argv)
        except (ValueError, SystemExit) as exc:
            problems.append(f"{name}: does not parse ({exc}): {command}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", OWN_FILES, ids=lambda p: p.name)
def test_links_between_runbooks_resolve(path):
    problems = []
    for target in LINK.findall("\n".join(prose_lines(text(path)))):
        if re.match(r"^[a-z]+://", target):
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if dest == ONCALL.resolve() and not dest.exists():
            continue  # written by the on-call work; only its presence is asserted elsewhere
        if dest.parent != RUNBOOKS.resolve():
            continue  # docs/ and code paths are owned elsewhere
        if not dest.exists():
            problems.append(f"{target}: no such file")
            continue
        if anchor and anchor not in {h for _, h in headings(text(dest))}:
            problems.append(f"{target}: no heading '{anchor}' in {dest.name}")
    assert not problems, f"{path.name}: " + "; ".join(problems)


def test_runbook_sections_linked_from_asset_code_exist():
    """`pipeline_asset_args(KEY, ..., section="x")` in the code deep-links to `x` in KEY's runbook."""
    call = re.compile(r'pipeline_asset_args\(\s*"([a-z_]+)"[^)]*?section="([^"]+)"', re.S)
    problems = []
    for source in sorted((PROJECT_DIR / "pipeline_ops").rglob("*.py")):
        for key, anchor in call.findall(source.read_text(encoding="utf-8")):
            if key not in PIPELINES:
                problems.append(f"{source.name}: unknown pipeline {key}")
                continue
            anchors = {h for _, h in headings(text(PROJECT_DIR / PIPELINES[key].runbook))}
            if anchor not in anchors:
                where = source.relative_to(PROJECT_DIR)
                problems.append(f"{where}: {PIPELINES[key].runbook} has no section '{anchor}'")
    assert not problems, "\n".join(problems)


INVESTOR_RULE_KEYS = ["pipelines[].chat_channel", "sla.freshness_tolerance_minutes", "alerting.outage_email",
                      "alerting.severities.<level>.review_business_days", "oncall.escalation[].delay_minutes"]


@pytest.mark.parametrize("key", sorted(k for k, p in PIPELINES.items() if p.audience == "investor"))
def test_investor_runbooks_carry_the_same_rules_with_their_config_keys(key):
    """Every investor runbook states the incident, email, review and ladder rules, with the keys that change
    them, and the figures it quotes are the config's: deadline + 30 minutes, the ladder's delays."""
    pipeline = PIPELINES[key]
    markdown = text(PROJECT_DIR / pipeline.runbook)
    rules = " ".join((section(markdown, "communication") + section(markdown, "escalation")).split())
    missing = [k for k in INVESTOR_RULE_KEYS if f"`{k}" not in rules]
    assert not missing, f"{key}: communication/escalation must name {missing}"
    late = (dt.datetime.combine(dt.date(2025, 1, 15), pipeline.sla.deadline_time) + dt.timedelta(minutes=30))
    assert f"materialized by {late:%H:%M} IST" in rules, f"{key}: the incident trigger is deadline + 30 minutes"
    assert "2 hours" in rules and "Sev-1" in rules and "Sev-2" in rules and "5 business days" in rules
    delays = ", ".join(str(step.delay_minutes) for step in CONFIG.oncall.escalation[1:])
    assert f"`oncall.escalation[].delay_minutes`: {delays})" in rules, f"{key}: ladder delays differ from config"
    assert f"{CONFIG.pipeline(key).chat_channel}" in rules


# Folders that exist on one machine and not the next; `/tmp` (scratch on every POSIX host) is allowed.
MACHINE_ROOTS = re.compile(r"(?<![\w.$}/-])(/(?:work|root|home|Users|opt|srv|mnt|data|var|usr/local)/[\w./-]*|[A-Z]:\\\S*)")


def test_runbooks_name_no_machine_specific_paths():
    assert MACHINE_ROOTS.search("cd /work/main && make") and not MACHINE_ROOTS.search("open /assets/x or $PWD/data")
    found = {f"{path.name}: {m.group(1)}" for path in [*RUNBOOKS.glob("*.md"), PROJECT_DIR / "README.md"]
             for m in MACHINE_ROOTS.finditer(text(path))}
    assert not found, "machine-specific paths (use $PWD, $DAGSTER_HOME or a relative path): " + ", ".join(sorted(found))
