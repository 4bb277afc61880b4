"""Control requests (``requests`` table): what a CLI, notebook or server asks the engine that owns a
run to do (resume, suspend, stop, terminate, set), taken by that engine and answered.

A mixin of ``db.Store``: it uses the store's ``_read`` and ``_write``."""
from __future__ import annotations

import json
import time


class ControlRequests:
    """``Store``'s control requests (the ``requests`` table)."""

    # -- control requests -----------------------------------------------------------------
    def request(self, run: str, action: str, payload: dict | None = None) -> int:
        """Ask the engine that owns ``run`` to act (resume, suspend, stop, terminate, set); returns
        the request's number, for :meth:`request_answer`."""
        return self._write(lambda c: c.execute(
            "INSERT INTO requests(run, action, payload, created_at) VALUES (?,?,?,?)",
            (run, action, json.dumps(payload or {}), time.time())).lastrowid)

    def take_requests(self, run: str, *, numbered: bool = False) -> list[tuple]:
        """The requests for ``run`` not taken yet, marked taken: ``(action, payload)``, or with
        ``numbered`` ``(seq, action, payload)`` for an engine that answers them."""
        def op(conn):
            rows = conn.execute("SELECT seq, action, payload FROM requests WHERE run=? AND taken_at IS NULL"
                                " ORDER BY seq", (run,)).fetchall()
            if rows:
                conn.execute("UPDATE requests SET taken_at=? WHERE run=? AND taken_at IS NULL", (time.time(), run))
            return [(q, a, json.loads(p)) if numbered else (a, json.loads(p)) for q, a, p in rows]
        # cheap read first: most polls find nothing and must not take the write lock
        if not self._read("SELECT 1 FROM requests WHERE run=? AND taken_at IS NULL LIMIT 1", (run,)):
            return []
        return self._write(op)

    def answer_requests(self, answers: dict[int, str]) -> None:
        """The engine's answers to requests it took: "" done, else why it refused."""
        if answers:
            self._write(lambda c: c.executemany("UPDATE requests SET answer=? WHERE seq=?",
                                                [(a, q) for q, a in answers.items()]))

    def request_answer(self, seq: int) -> str | None:
        """The engine's answer to request ``seq``; None while it has not handled it."""
        rows = self._read("SELECT answer FROM requests WHERE seq=?", (seq,))
        return rows[0][0] if rows else None
