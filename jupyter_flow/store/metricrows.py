"""Custom metrics' rows (``metrics`` table): the emissions engine/metrics.py records, in order
with the run's rounds, and the rows store/metrics.py reads back.

A mixin of ``db.Store``: it uses the store's ``_read``, ``_write`` and ``_writer``."""
from __future__ import annotations

from .rows import _insert_rows


class MetricRows:
    """``Store``'s custom metric emissions (the ``metrics`` table)."""

    # -- custom metrics (engine/metrics.py writes, store/metrics.py reads) ----------------
    METRIC_COLS = "seq, run, node, name, help, type, labels, value, ts, live_since, source, buckets, operation"

    def add_metrics_later(self, rows: list[tuple]) -> None:
        """Record metric emissions ``(run, node, name, help, type, labels JSON, value, ts, live_since,
        source, buckets JSON, operation)`` on the writer thread, in order with the run's rounds."""
        self._writer.submit(self._write, lambda c: _insert_rows(
            c, "INSERT INTO metrics(run, node, name, help, type, labels, value, ts, live_since, source, buckets,"
               " operation) VALUES ", rows))

    def metric_rows(self, run: str | None = None) -> list[tuple]:
        """Emissions in the order they were made (every run's, or ``run``'s), as ``METRIC_COLS``."""
        if run is None:
            return self._read(f"SELECT {self.METRIC_COLS} FROM metrics ORDER BY seq")
        return self._read(f"SELECT {self.METRIC_COLS} FROM metrics WHERE run=? ORDER BY seq", (run,))
