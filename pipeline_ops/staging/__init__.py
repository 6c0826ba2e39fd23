"""Shared staging: FX rates and experiment assignments used by profit, growth and engagement."""

from pipeline_ops.staging.assets import ASSETS

__all__ = ["ASSETS"]
