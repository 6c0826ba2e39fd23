"""Landing contracts: each source's raw files checked before a staging asset reads them.

`landing_contract(source, asset, section)` is a check of the staging asset that reads `source`,
evaluated per run day on the raw files of that day's folder (phase "landing"), before the reader
parses them: pandera (`contracts.landing_schema`) validates every file read as text, and the
header and null shares are compared with the previous partition's (schema drift: an added,
missing or renamed column, a nullability flip). A failure names the file and the columns, the
step stops before anything is read or published, and the landing files are never modified.
JSON-lines click events are checked line by line by `stg_click_events` (its quarantine) instead.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache

import dagster as dg
import polars as pl

from pipeline_ops.config.models import PipelineOpsConfig
from pipeline_ops.landing.contract import source as contract_source
from pipeline_ops.landing.reader import LandingZone, partition_folder
from pipeline_ops.lake.storage import Lake
from pipeline_ops.quality.audit import CheckResult
from pipeline_ops.quality.contracts import landing_schema, validate
from pipeline_ops.quality.outcome import CheckDef, Outcome, passed, verdict
from pipeline_ops.quality.profile import Profile, read_profile, write_profile

FLIP_SHARE = 0.01  # a column never null in the previous partition that is now null in > 1 % of rows
# ... judged only when the previous partition had this many rows: a nullable column that is empty for some
# kinds of row (plan_before of 'new' events) is never empty on a small day without such rows.
FLIP_MIN_ROWS = 100


@dataclass
class LandingContext:
    zone: LandingZone
    lake: Lake
    cfg: PipelineOpsConfig
    profiles: dict[tuple[str, str], Profile]


def _folder_day(src_name: str, day: dt.date) -> dt.date:
    return dt.date.fromisoformat(partition_folder(contract_source(src_name), day).rsplit("=", 1)[1])


def landing_contract(
    source_name: str, asset: str, section: str, unique: tuple[str, ...] | None = None, same_rows: tuple[str, ...] = (),
) -> CheckDef:
    """The landing-phase contract check of `source_name`, read by `asset`.

    `unique` overrides the columns that must be unique (default the source's key; `()` for none, for a
    source whose staging asset deduplicates by key, e.g. at-least-once event deliveries). With
    `same_rows`, rows equal on those columns count once before uniqueness is checked (exact
    re-deliveries the asset drops), so only *conflicting* rows with one key fail.
    """
    src = contract_source(source_name)
    keys = src.key if unique is None else unique
    model = cache(lambda: landing_schema(src, keys))  # built on first evaluation: no pandera at load

    def evaluate(ctx: LandingContext, partition: str) -> Outcome:
        day = _folder_day(source_name, dt.date.fromisoformat(partition))
        files = ctx.zone.files(source_name, day, required=False)
        folder = ctx.zone.path(partition_folder(src, day))
        bound = {"contract_columns": src.column_names, "key": list(keys), "folder": folder}
        if not files:
            return Outcome("error", f"no {src.file_glob} in {folder}: the landing partition has not arrived",
                           bound=bound, failing_count=1)
        frames, problems, counts, sample = [], [], {}, []
        for path in files:
            with ctx.zone.fs.open(path, "rb") as fh:
                raw = fh.read()
            try:
                frame = pl.read_csv(io.BytesIO(raw), infer_schema=False)
            except pl.exceptions.PolarsError as exc:  # not parseable as CSV at all: name the file, not a traceback
                problems.append(f"{path}: not a readable CSV ({type(exc).__name__}: {str(exc).splitlines()[0][:300]})")
                counts[f"{path.rsplit('/', 1)[-1]} unreadable"] = 1
                continue
            frames.append(frame)
            subset = [c for c in same_rows if c in frame.columns]
            result = validate(model(), frame.unique(subset=subset, keep="first", maintain_order=True) if subset else frame)
            if not result.ok:
                problems.append(f"{path}: " + "; ".join(f"{k} x{v}" for k, v in list(result.by_column_check.items())[:6]))
                counts.update({f"{path.rsplit('/', 1)[-1]} {k}": v for k, v in result.by_column_check.items()})
                sample += [{"_file": path, **r} for r in result.sample][: 20 - len(sample)]
        if not frames:
            return Outcome("error", " | ".join(problems)[:1500], {"files": files}, bound, failing_count=len(problems))
        rows = sum(f.height for f in frames)
        columns = list(frames[0].columns)
        profile = Profile(metrics={"rows": float(rows)}, schema={c: "VARCHAR" for c in columns})
        for c in columns:
            nulls = sum(f[c].null_count() for f in frames if c in f.columns)
            profile.metrics[f"null_share__{c}"] = nulls / rows if rows else 0.0
        ctx.profiles[(source_name, day.isoformat())] = profile
        drift = _drift(ctx, source_name, day, profile)
        observed = {"rows": rows, "columns": columns, "files": files}
        if drift:
            observed["drift_from_previous_partition"] = drift
        if problems:
            return Outcome("error", " | ".join(problems)[:1500], observed, bound,
                           failing_count=sum(counts.values()), sample=sample)
        if drift:
            return Outcome("error", f"{folder}: schema changed since the previous partition: " + "; ".join(drift),
                           observed, bound, failing_count=len(drift))
        return passed(f"{len(files)} file(s), {rows} rows match the {src.name} contract", observed=observed, bound=bound)

    return CheckDef(
        f"landing_{source_name}_contract", asset, "schema",
        f"The raw landing files of {source_name} for the day match the landing contract (columns exactly "
        f"{src.column_names}, types, required values, allowed values, unique {list(keys) or 'nothing'}"
        f"{' after dropping rows equal on ' + str(list(same_rows)) if same_rows else ''}) and the previous "
        "partition's shape (no added, missing or renamed column; no column that was never empty becoming empty "
        f"in more than {FLIP_SHARE:.0%} of rows, judged after a partition of >= {FLIP_MIN_ROWS} rows). ERROR: the run "
        "stops before reading; nothing is published.",
        section, evaluate, failure_modes=("schema-drift", "late-upstream-partition"), phase="landing",
    )


def _drift(ctx: LandingContext, source_name: str, day: dt.date, now: Profile) -> list[str]:
    prev_day = day - dt.timedelta(days=1) if contract_source(source_name).cadence == "daily" else \
        (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    # The run's own profile of the previous day first: in a backfill it is recorded only at the end of the run.
    before = ctx.profiles.get((source_name, prev_day.isoformat())) or read_profile(
        ctx.lake, f"landing/{source_name}", prev_day.isoformat())
    if before is None:
        return []
    out = []
    added, removed = sorted(set(now.schema) - set(before.schema)), sorted(set(before.schema) - set(now.schema))
    if added:
        out.append(f"added column(s) {added}")
    if removed:
        out.append(f"missing column(s) {removed} (present on {prev_day})")
    for c in set(now.schema) & set(before.schema):
        was, share = before.metrics.get(f"null_share__{c}", 0.0), now.metrics.get(f"null_share__{c}", 0.0)
        if was == 0 and share > FLIP_SHARE and before.metrics.get("rows", 0.0) >= FLIP_MIN_ROWS:
            out.append(f"{c}: never empty on {prev_day}, now empty in {share:.1%} of rows")
    return out


def audit_landing(
    context: dg.AssetExecutionContext, zone: LandingZone, lake: Lake, cfg: PipelineOpsConfig, pipeline: str,
    checks: Sequence[CheckDef], days: Sequence[dt.date],
) -> Iterator[dg.AssetCheckEvaluation]:
    """Evaluate the asset's landing checks for every run day; raise `dg.Failure` if any blocks."""
    from pipeline_ops.quality.dagster_checks import evaluation

    ctx = LandingContext(zone, lake, cfg, {})
    results = []
    for day in days:
        for check in (c for c in checks if c.phase == "landing"):
            try:
                outcome = check.evaluate(ctx, day.isoformat())
            except Exception as exc:  # an unreadable file is a contract failure, not a crash
                outcome = Outcome("error", f"landing files for {day} could not be checked: {type(exc).__name__}: {exc}")
            results.append(CheckResult(check, day.isoformat(), outcome))
            yield evaluation(results[-1], pipeline)
    for (source_name, partition), profile in ctx.profiles.items():
        write_profile(lake, f"landing/{source_name}", partition, profile, context.run.run_id)
    blocking = [r for r in results if verdict(r.check, r.outcome).blocks]
    if blocking:
        raise dg.Failure(
            description="landing contract failed; nothing was read or published:\n"
            + "\n".join(f"{r.check.name} [{r.partition}]: {r.outcome.summary}" for r in blocking[:10]),
            metadata={"failed_checks": sorted({r.check.name for r in blocking})}, allow_retries=False,
        )
