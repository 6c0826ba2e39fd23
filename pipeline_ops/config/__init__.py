"""Configuration: YAML validated by typed models. See README "Configuration"."""

from pipeline_ops.config.errors import ConfigError
from pipeline_ops.config.loader import current_config, load_config, parse_config
from pipeline_ops.config.models import Member, Pipeline, PipelineOpsConfig

__all__ = ["ConfigError", "Member", "Pipeline", "PipelineOpsConfig", "current_config", "load_config", "parse_config"]
