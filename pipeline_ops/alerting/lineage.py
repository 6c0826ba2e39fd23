"""The asset graph as plain values: who is upstream of whom, and which pipelines an asset feeds.

Built from the Dagster asset graph (`from_asset_graph`) or by hand in tests. Grouping uses it
where Alertmanager needs hand-written inhibit rules: a failure downstream of an open incident's
asset is a consequence of it. Routing uses it to give a shared staging asset the severity of the
most important pipeline it feeds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Lineage:
    parents: Mapping[str, frozenset[str]]  # asset -> its direct upstream assets
    pipeline_of: Mapping[str, str]  # asset -> the pipeline that owns it (its runbook, its owners)

    @cached_property
    def _children(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for child, ups in self.parents.items():
            for up in ups:
                out.setdefault(up, set()).add(child)
        return out

    @cached_property
    def _memo(self) -> dict[tuple[str, str], frozenset[str]]:
        return {}  # the graph never changes: each walk is done once per asset

    def ancestors(self, asset: str) -> frozenset[str]:
        key = ("up", asset)
        if key not in self._memo:
            self._memo[key] = self._walk(asset, lambda a: self.parents.get(a, frozenset()))
        return self._memo[key]

    def descendants(self, asset: str) -> frozenset[str]:
        key = ("down", asset)
        if key not in self._memo:
            self._memo[key] = self._walk(asset, lambda a: self._children.get(a, set()))
        return self._memo[key]

    def _walk(self, asset: str, step) -> frozenset[str]:
        seen: set[str] = set()
        todo = list(step(asset))
        while todo:
            a = todo.pop()
            if a not in seen:
                seen.add(a)
                todo.extend(step(a))
        return frozenset(seen)

    def depth(self, asset: str) -> int:
        """Longest path from a root: upstream assets sort first, so a burst is grouped root first."""
        key = ("depth", asset)
        if key not in self._memo:
            ups = self.parents.get(asset, frozenset())
            self._memo[key] = 0 if not ups else 1 + max(self.depth(u) for u in ups)  # type: ignore[assignment]
        return self._memo[key]  # type: ignore[return-value]

    def pipelines_fed(self, asset: str) -> list[str]:
        """The pipelines of the asset and of everything downstream of it, sorted."""
        assets = {asset, *self.descendants(asset)}
        return sorted({self.pipeline_of[a] for a in assets if a in self.pipeline_of})

    def pipeline(self, asset: str) -> str:
        """The owning pipeline; an asset without one (a landing source) belongs to the first it feeds."""
        if asset in self.pipeline_of:
            return self.pipeline_of[asset]
        fed = self.pipelines_fed(asset)
        return fed[0] if fed else "unknown"


def from_asset_graph(graph) -> Lineage:
    """The lineage of a Dagster asset graph (`defs.resolve_asset_graph()`, a sensor's
    `context.repository_def.asset_graph`): every asset's parents and its `pipeline` tag."""
    parents, owners = {}, {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        name = key.to_user_string()
        parents[name] = frozenset(p.to_user_string() for p in node.parent_keys)
        pipeline = (node.tags or {}).get("pipeline")
        if pipeline:
            owners[name] = pipeline
    return Lineage(parents, owners)
