"""Encoding and decoding the store's rows: JSON in and out (orjson when it can), the garbage
collector paused around big decodes, events' payloads, and multi-row INSERTs."""
from __future__ import annotations

import json
import sqlite3


def _loads_json(text: str | bytes):
    """A stored row's JSON: orjson (2-3x faster: a 100,000-node ``get`` decodes 40 MB), falling back to
    ``json`` for what orjson refuses and ``json.dumps`` may have written (NaN, lone surrogates)."""
    global _orjson_loads
    if _orjson_loads is None:   # imported on first use: a command that reads no row never pays for it
        try:
            from orjson import loads as _orjson_loads
        except ImportError:  # pragma: no cover - orjson is a dependency; a bare install still reads its store
            _orjson_loads = json.loads
    try:
        return _orjson_loads(text)
    except ValueError:
        return json.loads(text)


_orjson_loads = None


class _GCPaused:
    """Pause the cyclic garbage collector while a big read builds many containers: each 700
    allocations would otherwise scan everything built so far (a third of a 100,000-node decode)."""

    def __enter__(self):
        import gc
        self._was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self._was:
            import gc
            gc.enable()


gc_paused = _GCPaused


# One encoder for every row: ``json.dumps`` re-checks its keyword arguments on each call, and a
# flush encodes every changed node (a 10,000-node run writes tens of thousands of rows).
_encode = json.JSONEncoder(check_circular=False).encode
_PHASE_DATA: dict[str, str] = {}


def _event_data(data: dict | None) -> str | None:
    """An event's JSON; the common ``{"phase": P}`` payload is encoded once per phase name."""
    if data is None:
        return None
    if len(data) == 1 and "phase" in data and isinstance(data["phase"], str):
        phase = data["phase"]
        text = _PHASE_DATA.get(phase)
        if text is None:
            text = _PHASE_DATA[phase] = _encode(data)
        return text
    return _encode(data)


_CHUNK = 256   # rows per INSERT at most: 256 x 5 values stays far below SQLite's 32,766 variables


def _insert_rows(conn: sqlite3.Connection, head: str, rows: list[tuple]) -> None:
    """Insert ``rows`` with a few multi-row INSERTs rather than ``executemany``: one statement step
    per chunk instead of one per row. The transaction runs on the store's writer thread and SQLite
    releases the GIL at every step; per row, that was a GIL hand-off with the engine loop each.

    Chunks are powers of two (256, then the binary digits of the rest), so at most nine statement
    shapes per table are prepared and cached: a shape per row count cost ~12 MB at 10,000 nodes.
    """
    if not rows:
        return
    one = "(" + ",".join("?" * len(rows[0])) + ")"
    start, left = 0, len(rows)
    while left:
        size = _CHUNK if left >= _CHUNK else 1 << (left.bit_length() - 1)
        chunk = rows[start:start + size]
        conn.execute(head + ",".join([one] * size), [v for row in chunk for v in row])
        start += size
        left -= size
