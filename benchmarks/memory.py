"""Peak resident memory of this process and its children (the Spark JVM), sampled in a thread."""

from __future__ import annotations

import threading

import psutil


class PeakMemory:
    """Context manager: `.driver_mb` (this Python process) and `.tree_mb` (process + children)."""

    def __init__(self, interval: float = 0.1):
        self.interval = interval
        self.driver_mb = 0.0
        self.tree_mb = 0.0
        self._stop = threading.Event()

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            try:
                own = me.memory_info().rss
                kids = sum(c.memory_info().rss for c in me.children(recursive=True))
            except psutil.Error:
                continue
            self.driver_mb = max(self.driver_mb, own / 2**20)
            self.tree_mb = max(self.tree_mb, (own + kids) / 2**20)
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakMemory":
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
