"""One error type for every configuration problem, naming the file and the key."""

from __future__ import annotations


class ConfigError(ValueError):
    """Raised with every problem found, each as `file: key.path: what was expected`."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        lines = [f"{source}: {key}: {message}" for key, message in problems]
        super().__init__("invalid pipeline_ops config\n  " + "\n  ".join(lines))


def format_loc(loc: tuple[object, ...]) -> str:
    """('pipelines', 2, 'sla', 'deadline') -> 'pipelines[2].sla.deadline'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"
