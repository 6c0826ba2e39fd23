"""On-call section of the configuration: rotation layers, holiday rules, overrides, escalation.

Placeholder shape owned by the on-call engine; see pipeline_ops/oncall/.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class OnCallConfig(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
