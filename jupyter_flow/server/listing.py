"""The listing of a directory artifact, capped.

A step decides how many files its output directory holds: a million of them made the
``GET …/artifacts/<dir>`` answer a JSON array of a million names, built (and sorted) whole in
the Jupyter server's memory and sent to the browser. The listing holds the first
:data:`MAX_ENTRIES` names in sorted order, kept in a bounded heap while the directory is read,
with ``truncated: true`` and the ``total`` count when there were more; each file can still be
fetched by its own key.
"""
from __future__ import annotations

import heapq
import os
from pathlib import Path

MAX_ENTRIES = 10_000


def list_dir(path: Path, cap: int = MAX_ENTRIES) -> dict:
    """``{"entries": [...sorted names, directories with a trailing "/"], "truncated": bool,
    "total": int}``: at most ``cap`` entries, the first ones in sorted order."""
    total = 0

    def names():
        nonlocal total
        with os.scandir(path) as it:
            for entry in it:
                total += 1
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                yield entry.name + ("/" if is_dir else "")

    entries = heapq.nsmallest(cap, names())
    return {"entries": entries, "truncated": total > len(entries), "total": total}
