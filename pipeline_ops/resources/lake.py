"""Dagster resources for the landing zone and the lake: thin adapters over plain Python classes."""

from __future__ import annotations

import dagster as dg

from pipeline_ops import settings
from pipeline_ops.landing.reader import LandingZone
from pipeline_ops.lake.storage import Lake


class LandingResource(dg.ConfigurableResource):
    """Read-only access to the landing zone (default: $PIPELINE_OPS_LANDING or data/landing)."""

    url: str = ""

    def zone(self) -> LandingZone:
        return LandingZone(self.url or settings.landing_url())


class LakeResource(dg.ConfigurableResource):
    """The partitioned lake every asset writes (default: $PIPELINE_OPS_LAKE or data/lake)."""

    url: str = ""

    def lake(self) -> Lake:
        return Lake(self.url or settings.lake_url())
