"""The shell blocks quoted in the runbooks and the README, as commands a test can run.

A fenced block whose info string is `bash`, `sh` or `shell` is a command someone will paste at
3 a.m., so it is run (see test_runbook_commands.py). A block that must not run in a test (it
serves forever, starts a cluster, pages a real service) carries the marker

    <!-- runbook-test: skip: REASON -->

on the line just before its opening fence; the test lists every skipped block with its reason.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

SHELL = {"bash", "sh", "shell"}
SKIP = re.compile(r"<!--\s*runbook-test:\s*skip:\s*(?P<reason>.*?)\s*-->")
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    lang: str
    body: str  # dedented by the fence's indent
    skip: str | None  # the marker's reason, when marked

    @property
    def id(self) -> str:
        return f"{self.path.name}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """Every fenced block of a Markdown file, with the skip marker that precedes it (if any)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            j += 1
        body = "\n".join(line[len(indent):] if line.startswith(indent) else line.lstrip() for line in lines[i + 1:j])
        before = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        marker = SKIP.search(before)
        out.append(Block(path, i + 1, opening["info"].lower(), body + "\n", marker["reason"] if marker else None))
        i = j + 1
    return out


def shell_blocks(paths: list[Path]) -> list[Block]:
    return [b for p in paths for b in blocks(p) if b.lang in SHELL]


def substitute(body: str, placeholders: dict[str, str]) -> str:
    for literal, value in placeholders.items():
        body = body.replace(literal, value)
    return body


def run(body: str, cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    """The block as one bash script that stops at the first failing command (a pipe fails too)."""
    return subprocess.run(["bash", "-e", "-o", "pipefail", "-c", body], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def prose_lines(markdown: str) -> list[str]:
    """Lines outside fenced code blocks, fenced ones blanked (a '# comment' in a bash block is not a
    heading); fence lines themselves are dropped."""
    lines, fenced = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        lines.append("" if fenced else line)
    return lines
