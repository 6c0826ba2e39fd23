"""Load and validate the configuration file, reporting every problem with its key path."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from pipeline_ops import settings
from pipeline_ops.config.errors import ConfigError, format_loc
from pipeline_ops.config.models import PipelineOpsConfig
from pipeline_ops.config.references import reference_problems


def parse_config(data: object, source: str = "<config>") -> PipelineOpsConfig:
    """Validate already-parsed YAML data; raise ConfigError listing every problem."""
    if not isinstance(data, dict):
        raise ConfigError(source, [("(top level)", f"expected a mapping, got {type(data).__name__}")])
    try:
        cfg = PipelineOpsConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, [(format_loc(e["loc"]), _message(e)) for e in exc.errors()]) from None
    problems = reference_problems(cfg)
    if cfg.oncall is not None and hasattr(cfg.oncall, "reference_problems"):
        problems += cfg.oncall.reference_problems(cfg)
    if problems:
        raise ConfigError(source, problems)
    return cfg


def load_config(path: str | Path | None = None) -> PipelineOpsConfig:
    """Read the YAML at `path` (default: $PIPELINE_OPS_CONFIG or the packaged default)."""
    source = str(path or settings.config_path())
    try:
        text = Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(source, [("(file)", f"cannot read config file: {exc.strerror}")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise ConfigError(source, [(where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    return parse_config(data, source)


@lru_cache(maxsize=8)
def _cached(path: str) -> PipelineOpsConfig:
    return load_config(path)


def current_config() -> PipelineOpsConfig:
    """The config at $PIPELINE_OPS_CONFIG, loaded once per path per process."""
    return _cached(settings.config_path())


def _message(error: dict) -> str:
    msg = error["msg"]
    if error["type"] == "extra_forbidden":
        return "unknown key (check spelling; see the config reference in README)"
    if error["type"] == "missing":
        return "required key is missing"
    if "input" in error and error["type"] not in ("value_error",):
        return f"{msg} (got {error['input']!r})"
    return msg.removeprefix("Value error, ")
