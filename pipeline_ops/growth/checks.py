"""Quality checks of the growth assets (see pipeline_ops/quality for the framework and severity policy)."""

from __future__ import annotations

from pipeline_ops.quality.spec import AssetQuality

QUALITY: list[AssetQuality] = []
