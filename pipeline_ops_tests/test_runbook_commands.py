"""Every shell block in the runbooks and the README runs, verbatim, against a sample deployment.

An engineer paged at 3 a.m. pastes these commands. Each fenced `bash` block is run as one bash
script (`-e -o pipefail`) in a sample working folder (sample_env.py: generated landing zone, a
lake built by the real assets, a Dagster instance, an incident with a dead letter), with the
environment exported the way `make run` does. It must exit 0 and print something; a recompute
block (`--lake /tmp/recompute`) must print the published row again.

Placeholders the prose asks the reader to replace (an incident id, a scratch folder) are
substituted with their sample values; `PLACEHOLDERS` lists them. Blocks that must not run here
carry `<!-- runbook-test: skip: REASON -->`; `SKIPPED` lists them, so a new skip is a decision
made in review, not a quiet escape.
"""

from __future__ import annotations

import json
import re

import pytest

from pipeline_ops.settings import PROJECT_DIR
from pipeline_ops_tests import doc_commands
from pipeline_ops_tests.sample_env import build
from pipeline_ops_tests.table_checksums import RECORDED, differences

FILES = sorted((PROJECT_DIR / "runbooks").glob("*.md")) + [PROJECT_DIR / "README.md"]
BLOCKS = doc_commands.shell_blocks(FILES)
RUNNABLE = [b for b in BLOCKS if b.skip is None]
# (file name, first line of the block) -> the marker's reason: every block allowed to be skipped
SKIPPED = {
    ("README.md", "make run"): "serves the UI until stopped (the end-to-end test starts it)",
    ("README.md", 'SPARK=$(.venv/bin/python -c "import pyspark, os; print(os.path.dirname(pyspark.__file__))")'):
        "starts a long-running Spark master and worker (test_cluster.py starts them)",
    ("README.md", ".venv/bin/pipeline-ops spark-connect --port 15002 --master 'local[*]' --driver-memory 4g &"):
        "serves until stopped (the end-to-end test starts it through make run's script)",
    ("README.md", '.venv/bin/python benchmarks/duckdb_baseline.py --connect --scales 1 --days 30 --repeats 3 --only "profit + growth"'):
        "a 25-minute benchmark (make bench runs it)",
    ("README.md", '.venv/bin/pipeline-ops backfill profit_aggregate --from 2025-03-01 --to 2025-03-07 --approved-by eng_a --reason "FX rates restated by the provider"'):
        "needs the running webserver (the end-to-end test runs this command)",
}
# Inline code that is a command to type belongs in a fenced block, where this test runs it.
INLINE_CODE = re.compile(r"`([^`]+)`")
COMMAND = re.compile(r"^(?:[A-Z_]+=\S+ )+\S|^(?:\.venv/bin/)?dagster (?:job|schedule|sensor|asset|dev) ")


def placeholders(sample) -> dict[str, str]:
    """Literal text in the docs -> what a reader would type instead (order matters: longest first)."""
    return {
        "inc-3f9c0a1b2d4e|trigger|0|pagerduty": sample.dead_letter,  # a dead letter's key
        "inc-3f9c0a1b2d4e": sample.incident_id,
        "sil-1a2b3c4d": sample.silence_id,
        "/tmp/recompute": str(sample.root / "recompute"),  # a scratch lake
        "--days 31 --scale 1 ": "--days 2 --scale 0.01 ",  # README's generate example, smaller
    }


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return build(tmp_path_factory.mktemp("runbook_sample"))


def test_every_table_of_the_sample_is_what_it_was_before_the_speed_work(sample):
    """Every table, every partition, the same rows as recorded by the code before the speed work
    (table_checksums.py: run_id left out, floats to 9 decimals). A change meant to alter a table
    rewrites the record with `python -m pipeline_ops_tests.table_checksums --write`."""
    recorded = json.loads(RECORDED.read_text())
    assert sum(len(parts) for parts in recorded.values()) > 400, "the record should cover every table's partitions"
    assert not differences(recorded, sample.tables), "\n".join(differences(recorded, sample.tables))


def test_the_docs_have_shell_blocks_and_every_skip_is_acknowledged():
    assert len(BLOCKS) >= 80, f"expected the runbooks' ~90 shell blocks, found {len(BLOCKS)}"
    skipped = {(b.path.name, b.body.splitlines()[0].split("#")[0].strip() if b.body.strip() else ""): b.skip
               for b in BLOCKS if b.skip is not None}
    for (name, first), reason in skipped.items():
        print(f"skipped: {name}: {first!r}: {reason}")
        assert reason, f"{name}: a skip marker needs a reason"
    assert skipped == SKIPPED, f"skipped blocks changed: {skipped} (update SKIPPED)"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PROJECT_DIR)))
def test_no_command_hides_in_inline_code(path):
    """`DAGSTER_HOME=.dagster_home dagster schedule start ...` in a sentence is never run by a test."""
    prose = "\n".join(doc_commands.prose_lines(path.read_text(encoding="utf-8")))
    spans = [" ".join(m.group(1).split()) for m in INLINE_CODE.finditer(prose)]  # a span may wrap a line
    hidden = [s for s in spans if COMMAND.match(s)]
    assert not hidden, f"{path.name}: put these commands in a fenced bash block so they are tested: {hidden}"


@pytest.mark.parametrize("block", RUNNABLE, ids=lambda b: b.id)
def test_runbook_command_runs(sample, block):
    body = doc_commands.substitute(block.body, placeholders(sample))
    done = doc_commands.run(body, sample.work, sample.env())
    shown = f"{block.id}:\n{body}\n--- exit {done.returncode}\n--- stdout\n{done.stdout[-2000:]}\n--- stderr\n{done.stderr[-3000:]}"
    assert done.returncode == 0, shown
    assert (done.stdout + done.stderr).strip(), f"{block.id} printed nothing:\n{body}"
    if "--lake /tmp/recompute" in block.body:
        # What the runbooks promise: rebuilding a day from unchanged inputs gives the published numbers,
        # so a difference points at a changed input (the last two commands query the copy, then the lake).
        lines = [line for line in done.stdout.splitlines() if line.strip()]
        assert len(lines) >= 4 and lines[-4:-2] == lines[-2:], f"{block.id}: recomputed != published:\n{done.stdout}"


def test_a_relative_dagster_home_is_caught(sample):
    """The form the runbooks used to print: Dagster refuses a relative DAGSTER_HOME, so would this test."""
    [block] = [b for b in RUNNABLE if b.path.name == "profit_aggregate.md" and "dagster schedule start" in b.body]
    relative = block.body.replace("DAGSTER_HOME=$PWD/.dagster_home", "DAGSTER_HOME=.dagster_home")
    assert relative != block.body
    done = doc_commands.run(relative, sample.work, sample.env())
    assert done.returncode != 0 and "absolute" in (done.stdout + done.stderr).lower(), done.stderr[-2000:]


def test_markers_and_fences_are_parsed(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("text\n<!-- runbook-test: skip: pages a real phone -->\n```bash\ncurl x\n```\n\n"
                   "- item\n  ```bash\n  echo ok\n  ```\n```\nnot shell\n```\n", encoding="utf-8")
    found = doc_commands.blocks(doc)
    assert [(b.line, b.lang, b.body, b.skip) for b in found] == [
        (3, "bash", "curl x\n", "pages a real phone"), (8, "bash", "echo ok\n", None), (11, "", "not shell\n", None)]
    assert doc_commands.run("false\necho after", tmp_path, {"PATH": "/usr/bin:/bin"}).returncode != 0
    assert doc_commands.run("false | cat", tmp_path, {"PATH": "/usr/bin:/bin"}).returncode != 0


