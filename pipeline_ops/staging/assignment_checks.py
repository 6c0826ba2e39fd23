"""Quality checks of stg_experiment_assignments (see pipeline_ops/quality for the framework)."""

from __future__ import annotations

from pipeline_ops.quality.spec import AssetQuality

QUALITY: list[AssetQuality] = []
