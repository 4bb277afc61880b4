"""Cache rows: the memoization cache (``memo`` table, Argo's ``memoize``) and the content step
cache's records (``stepcache`` table, engine/stepcache.py), written on the store's writer thread.

A mixin of ``db.Store``: it uses the store's ``_read``, ``_write``, ``_writer``, ``_lock`` and ``home``."""
from __future__ import annotations

import json
import time

from .paths import remove_tree
from .rows import _insert_rows


class CacheRows:
    """``Store``'s memo and step-cache rows (the ``memo`` and ``stepcache`` tables)."""

    # -- memoization cache --------------------------------------------------------------------
    def memo_get(self, cache: str, key: str) -> tuple[dict, float] | None:
        rows = self._read("SELECT data, created_at FROM memo WHERE cache=? AND key=?", (cache, key))
        return (json.loads(rows[0][0]), rows[0][1]) if rows else None

    def memo_put(self, cache: str, key: str, data: dict) -> None:
        self._write(lambda c: c.execute("INSERT OR REPLACE INTO memo(cache, key, data, created_at)"
                                        " VALUES (?,?,?,?)", (cache, key, json.dumps(data), time.time())))

    # -- content step cache (engine/stepcache.py) -----------------------------------------------
    _STEP_COLS = ("run", "node", "key", "ident", "material", "outputs", "ok", "shared", "created_at")

    def stepcache_record_later(self, row: tuple, copy=None) -> None:
        """Record a leaf's key ``(key, run, node, ident, material, outputs, ok, shared)`` on the
        writer thread, after ``copy`` (which fills the shared cache area) and the step's log.

        Rows are coalesced: the rows recorded while a write is pending go in one transaction (a
        fully cached run records every step at once; one transaction each cost ~0.5 ms a step)."""
        with self._lock:
            pending = getattr(self, "_step_rows", None)
            if pending is None:
                pending = self._step_rows = []
            pending.append((row, copy, time.time()))
            if len(pending) > 1:
                return   # the flush already queued takes this row too
        self._writer.submit(self._flush_step_rows)

    def _flush_step_rows(self) -> None:
        with self._lock:
            batch, self._step_rows = self._step_rows, []
        for _, copy, _ in batch:
            if copy is not None:
                copy()
        rows = [(run, node, key, ident, material, outputs, ok, shared, at)
                for (key, run, node, ident, material, outputs, ok, shared), _, at in batch]
        self._write(lambda c: _insert_rows(c, "INSERT OR REPLACE INTO stepcache(run, node, key, ident, material, "
                                              "outputs, ok, shared, created_at) VALUES ", rows))

    def stepcache_find(self, key: str, *, continue_from: str = "", shared: bool = False) -> list[dict]:
        """Reusable entries for ``key``: the continued run's own first, then the shared cache's."""
        rows = []
        if continue_from:
            rows += self._read("SELECT * FROM stepcache WHERE key=? AND ok=1 AND run=?", (key, continue_from))
        if shared:
            rows += self._read("SELECT * FROM stepcache WHERE key=? AND ok=1 AND shared=1"
                               " ORDER BY created_at DESC LIMIT 4", (key,))
        return [dict(zip(self._STEP_COLS, r)) for r in rows]

    def stepcache_entries(self, *, run: str | None = None, node: str | None = None, ident: str | None = None,
                          shared: bool | None = None, limit: int = 1000) -> list[dict]:
        where, args = [], []
        for col, val in (("run", run), ("node", node), ("ident", ident)):
            if val is not None:
                where.append(f"{col}=?")
                args.append(val)
        if shared is not None:
            where.append("shared=?")
            args.append(int(shared))
        sql = ("SELECT * FROM stepcache" + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY created_at DESC LIMIT ?")
        return [dict(zip(self._STEP_COLS, r)) for r in self._read(sql, (*args, limit))]

    def stepcache_clear(self) -> int:
        """Forget the shared cache (its files too); runs' own records stay for ``--continue``."""
        n = self._write(lambda c: c.execute("UPDATE stepcache SET shared=0 WHERE shared=1").rowcount)
        remove_tree(self.home, self.home / "cache")
        return n
