"""`OnCallResource`: the on-call engine as a Dagster resource for the alerting sensors.

The only module of the on-call package that imports Dagster; the engine never imports it. The
config is loaded once per file (cached by path and modification time, see `load.engine_for`).
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from pipeline_ops.oncall.engine import Assignment, OnCallEngine
from pipeline_ops.oncall.escalation import Page, PipelineOnCall, RouteDecision, ladder, pipeline_oncall, route, watch_at
from pipeline_ops.oncall.load import engine_for


class OnCallResource(dg.ConfigurableResource):
    """Answers who is on call for a pipeline, how an alert is routed and who is paged when."""

    config_path: str | None = None  # default: $PIPELINE_OPS_CONFIG or the packaged default

    @property
    def engine(self) -> OnCallEngine:
        return engine_for(self.config_path)

    @staticmethod
    def _t(at: dt.datetime | None) -> dt.datetime:
        return at or dt.datetime.now(dt.timezone.utc)

    def who(self, at: dt.datetime | None = None) -> Assignment:
        return self.engine.who(self._t(at))

    def for_pipeline(self, pipeline_key: str, at: dt.datetime | None = None) -> PipelineOnCall:
        return pipeline_oncall(self.engine, pipeline_key, self._t(at))

    def route(self, pipeline_key: str, at: dt.datetime | None = None) -> RouteDecision:
        return route(self.engine, pipeline_key, self._t(at))

    def escalation(self, pipeline_key: str, alert_at: dt.datetime | None = None) -> list[Page]:
        return ladder(self.engine, pipeline_key, self._t(alert_at))

    def watchers(self, pipeline_key: str | None = None, at: dt.datetime | None = None) -> tuple[str | None, tuple[str, ...]]:
        return watch_at(self.engine, self._t(at), pipeline_key)

    def contact(self, member_id: str) -> dict[str, str]:
        """Name, email and chat handle of a member, for the notifier."""
        m = self.engine.cfg.member(member_id)
        return {"id": m.id, "name": m.name, "email": m.email, "chat": m.chat}
