"""Runbooks and the check registry stay in step: what a person holding a check result relies on.

- Every registered check's result links to a runbook section that exists (the link is built by the
  same code that writes it into the result's metadata; anchors are the headings, as in
  test_runbooks.py).
- Every failure-mode section says what detects it on a `**Detected by:**` line: registered checks
  as `asset.check`, or, when no check can see the mode, `no asset check: <the signal that shows it>`.
- The section a check result links to names that check.
- No runbook still calls an asset check "planned".

Fast: loads the check registry (no Spark, no Dagster run).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from pathlib import Path

import pytest

from pipeline_ops_tests.test_runbooks import (
    PIPELINES, PROJECT_DIR, RUNBOOKS, all_runbook_files, headings, prose_lines, section, subsections, text,
)

DETECTED_BY = "**Detected by:**"
NO_CHECK = "no asset check:"
# A backticked `asset.check` name: asset key (path segments joined by '/'), a dot, the check name.
CHECK_NAME = re.compile(r"`([a-z0-9_]+(?:/[a-z0-9_]+)*\.[a-z0-9_]+)`")


@cache
def registered() -> frozenset[str]:
    from pipeline_ops.cli.faults import registered_checks

    return frozenset(registered_checks())


def anchors(path: Path) -> set[str]:
    """Anchors of a runbook: its heading texts (the runbooks' headings are their own anchors)."""
    return {h for _, h in headings(text(path))}


def where(link: str) -> tuple[Path, str]:
    """(runbook file, anchor) of a runbook link as `runbook_link` builds it (a path, or a URL)."""
    target, _, anchor = link.partition("#")
    if "://" in target:  # PIPELINE_OPS_RUNBOOK_BASE_URL set: '<base>/runbooks/<file>.md'
        target = str(PROJECT_DIR / "runbooks" / target.rsplit("/runbooks/", 1)[-1])
    return Path(target), anchor


def check_links() -> list[tuple[str, str]]:
    """('asset.check', runbook link) of every registered check, from the code that records its results."""
    import tempfile

    from pipeline_ops.config import current_config
    from pipeline_ops.landing.reader import LandingZone
    from pipeline_ops.quality.dagster_checks import runbook_value
    from pipeline_ops.quality.registry import registry
    from pipeline_ops.sources.checks import CHECK_NAME as ARRIVED, evaluate_arrival

    links = [(f"{aq.asset}.{c.name}", runbook_value(aq.pipeline, c.section).value)
             for aq in registry().values() for c in aq.checks]
    with tempfile.TemporaryDirectory() as empty:  # an empty landing zone: every folder "has not arrived"
        zone, now = LandingZone(empty), dt.datetime(2025, 3, 4, tzinfo=dt.timezone.utc)
        for source in current_config().quality.arrivals:
            result = evaluate_arrival(zone, source, dt.date(2025, 3, 2), now)
            links.append((f"landing/{source}.{ARRIVED}", result.metadata["runbook"].value))
    return links


def detected_by_lines(body: str) -> list[str]:
    return [line for line in prose_lines(body) if line.startswith(DETECTED_BY)]


def failure_modes() -> list[tuple[str, str, str]]:
    """(runbook file name, section, body) of every `###` section under a pipeline runbook's `## failure-modes`."""
    out = []
    for key in sorted(PIPELINES):
        path = PROJECT_DIR / PIPELINES[key].runbook
        for name, body in subsections(section(text(path), "failure-modes")).items():
            out.append((path.name, name, body))
    return out


def level3_sections(path: Path) -> dict[str, str]:
    """Every `### heading` of a runbook with its body (to the next heading of any level <= 3)."""
    out, current, lines = {}, None, []
    for line in text(path).splitlines():
        match = re.match(r"^(#{1,3})\s+(.*?)\s*$", line)
        if match:
            if current:
                out[current] = "\n".join(lines)
            current, lines = (match.group(2) if len(match.group(1)) == 3 else None), []
        elif current:
            lines.append(line)
    if current:
        out[current] = "\n".join(lines)
    return out


# -- (a) links of check results resolve ---------------------------------------------------------
def test_every_check_result_links_to_an_existing_runbook_section(monkeypatch):
    monkeypatch.delenv("PIPELINE_OPS_RUNBOOK_BASE_URL", raising=False)
    links = check_links()
    assert {name for name, _ in links} == registered(), "check links and registered_checks() disagree"
    problems = []
    for name, link in links:
        path, anchor = where(link)
        if not anchor:
            problems.append(f"{name}: link {link} names no section")
        elif path.resolve().parent != RUNBOOKS.resolve() or not path.is_file():
            problems.append(f"{name}: link {link}: {path.name} is not a runbook in runbooks/")
        elif anchor not in anchors(path):
            problems.append(f"{name}: {path.name} has no section '{anchor}' (link {link})")
    assert not problems, "\n".join(problems)


# -- (b) every failure mode says what detects it ------------------------------------------------
def detection_problems(file: str, name: str, body: str) -> list[str]:
    lines = detected_by_lines(body)
    if len(lines) != 1:
        return [f"{file}#{name}: expected one '{DETECTED_BY}' line, found {len(lines)}"]
    claim = lines[0].removeprefix(DETECTED_BY).strip()
    named = CHECK_NAME.findall(claim)
    problems = [f"{file}#{name}: `{n}` is not a registered check" for n in named if n not in registered()]
    if claim.startswith(NO_CHECK):
        if len(claim.removeprefix(NO_CHECK).split()) < 3:
            problems.append(f"{file}#{name}: '{NO_CHECK}' must name the signal that shows the mode instead")
    elif not named:
        problems.append(f"{file}#{name}: the {DETECTED_BY} line names no `asset.check`; a mode no check "
                        f"can see must say '{DETECTED_BY} {NO_CHECK} <the signal that shows it>'")
    return problems


def test_every_failure_mode_names_registered_checks_or_says_none_can_see_it():
    modes = failure_modes()
    assert len(modes) >= 60, f"expected every pipeline runbook's failure modes, found {len(modes)}"
    problems = [p for file, name, body in modes for p in detection_problems(file, name, body)]
    assert not problems, "\n".join(problems)


def test_every_detected_by_line_anywhere_names_only_registered_checks():
    """Also outside failure-modes (e.g. engagement's quarantined-lines section)."""
    problems = []
    for path in all_runbook_files():
        for name, body in level3_sections(path).items():
            if detected_by_lines(body):
                problems += detection_problems(path.name, name, body)
    assert not problems, "\n".join(problems)


def test_the_section_a_check_links_to_names_that_check(monkeypatch):
    """A result's runbook link lands on a section whose Detected by line lists the check.

    Arrival checks link to their source's section of landing_sources.md, which describes the
    source rather than a failure mode: only its existence is asserted (test above)."""
    monkeypatch.delenv("PIPELINE_OPS_RUNBOOK_BASE_URL", raising=False)
    problems = []
    for name, link in check_links():
        if name.startswith("landing/"):
            continue
        path, anchor = where(link)
        body = level3_sections(path).get(anchor)
        if body is None:
            problems.append(f"{path.name}#{anchor}: {name} links here but it is not a ### section")
            continue
        lines = detected_by_lines(body)
        if not any(name in CHECK_NAME.findall(line) for line in lines):
            problems.append(f"{path.name}#{anchor}: {name} links here but its {DETECTED_BY} line does not name it")
    assert not problems, "\n".join(problems)


# -- (c) no asset check is "planned" ------------------------------------------------------------
PLANNED = re.compile(r"\bplanned\b", re.I)
CHECK_WORD = re.compile(r"\b(asset[- ])?checks?\b", re.I)


def sentences_by_section(path: Path) -> list[tuple[str, str]]:
    """(section heading, sentence) over the prose of a runbook (code blocks left out)."""
    out, current, buffer = [], "(top)", []

    def flush():
        for sentence in re.split(r"(?<=[.!?])\s+", " ".join(buffer)):
            if sentence.strip():
                out.append((current, sentence.strip()))

    for line in prose_lines(text(path)):
        match = re.match(r"^#{1,6}\s+(.*?)\s*$", line)
        if match:
            flush()
            current, buffer = match.group(1), []
        else:
            buffer.append(line.strip())
    flush()
    return out


@pytest.mark.parametrize("path", all_runbook_files(), ids=lambda p: p.name)
def test_no_runbook_calls_an_asset_check_planned(path):
    found = [f"{path.name}#{heading}: {sentence[:160]}" for heading, sentence in sentences_by_section(path)
             if PLANNED.search(sentence) and CHECK_WORD.search(sentence)]
    assert not found, "asset checks exist (docs/checks.md); say which check detects it, or that none does:\n" + \
        "\n".join(found)
