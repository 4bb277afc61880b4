"""The run store: the contract between the engine and every surface.

One SQLite database (WAL, so readers never block the writer) plus a directory per run
holding node logs and artifacts. The engine that owns a run writes; other processes read,
and reach the owner through control requests in the ``requests`` table.
"""
from .db import RunRecord, Store, open_store

__all__ = ["RunRecord", "Store", "open_store"]
