"""SQLite persistence for runs, nodes and events; the ``Store`` that joins the tables' parts.

``Store`` holds the connection, the transactions and the runs/nodes/events tables; its other
tables' methods come from mixins of one job each: control requests (``control``), the template
registry (``templates``), the memo and step caches (``caches``), custom metrics (``metricrows``).
The SQL schema and the connection are in ``schema``, row encoding in ``rows``, ``RunRecord`` in
``record``, ``pid_alive`` in ``liveness``; every name this module had before that split (issue 22)
is still importable from here."""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Iterable

from .. import config
from .caches import CacheRows
from .control import ControlRequests
from .liveness import pid_alive  # noqa: F401  (re-exported: imported from here)
from .metricrows import MetricRows
from .paths import component, private_dir, private_file, private_home, remove_tree
from .record import RunRecord
from .rows import (_CHUNK, _PHASE_DATA, _encode, _event_data, _GCPaused, _insert_rows,  # noqa: F401
                   _loads_json, _orjson_loads, gc_paused)
from .schema import SCHEMA, _connect, _pause, _set_wal  # noqa: F401
from .templates import TemplateRegistry, registry_for  # noqa: F401
from .writer import Writer, append_file


class Store(ControlRequests, TemplateRegistry, CacheRows, MetricRows):
    """Runs, nodes and control requests in ``<home>/runs.db``; files under ``<home>/runs/<name>/``.

    Thread-safe: one connection guarded by a lock, since the engine thread writes while the
    caller's thread (a notebook, the CLI) reads.
    """

    def __init__(self, home: Path | str | None = None):
        self.home = Path(home) if home else config.home()
        private_home(self.home)
        private_dir(self.home / "runs")
        self.path = self.home / "runs.db"
        # SQLite gives -wal and -shm the database file's mode, so a 0600 runs.db keeps them private
        for path in (self.path, self.path.with_name("runs.db-wal"), self.path.with_name("runs.db-shm")):
            if path == self.path or path.exists():
                private_file(path)
        self._lock = threading.RLock()
        self._conn = _connect(self.path)
        with self._lock:
            self._conn.executescript(SCHEMA)
            # a store made before requests had answers gains the column (NULL: not answered yet)
            if "answer" not in {row[1] for row in self._conn.execute("PRAGMA table_info(requests)")}:
                self._write(lambda c: c.execute("ALTER TABLE requests ADD COLUMN answer TEXT"))
        self._writer = Writer()

    # -- transactions -------------------------------------------------------------------
    def _write(self, fn, *args):
        """Run ``fn(conn, *args)`` in one IMMEDIATE transaction, retrying on a busy database."""
        delay = 0.005
        for attempt in range(200):
            with self._lock:
                try:
                    self._conn.execute("BEGIN IMMEDIATE")
                    try:
                        result = fn(self._conn, *args)
                    except BaseException:
                        self._conn.execute("ROLLBACK")
                        raise
                    self._conn.execute("COMMIT")
                    return result
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) and "busy" not in str(exc):
                        raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
        raise sqlite3.OperationalError("database is locked (gave up after retries)")

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    # -- paths ----------------------------------------------------------------------------
    def run_dir(self, name: str) -> Path:
        """``runs/<name>``: always inside ``runs/`` (a name that is not one safe path component, from
        a store of an older version, gets a stand-in directory there: ``paths.component``)."""
        return self.home / "runs" / component(name)

    def log_path(self, run: str, node_id: str) -> Path:
        return self.run_dir(run) / "logs" / (component(node_id) + ".log")

    def artifact_dir(self, run: str) -> Path:
        return self.run_dir(run) / "artifacts"

    # -- runs -----------------------------------------------------------------------------
    def create_run(self, name: str, workflow: dict, *, uid: str, namespace: str = "default",
                   owner_pid: int | None = None, backend: str = "local") -> None:
        """A new run row; ``name`` must be a valid Workflow name (``spec.names``), whoever built it."""
        from ..spec.names import check_run_name
        check_run_name(name)
        now = time.time()

        def op(conn):
            conn.execute(
                "INSERT INTO runs(name, namespace, uid, phase, created_at, workflow, owner_pid, backend, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                (name, namespace, uid, "Pending", now, json.dumps(workflow), owner_pid, backend, now),
            )
        self._write(op)

    def exists(self, name: str) -> bool:
        return bool(self._read("SELECT 1 FROM runs WHERE name=?", (name,)))

    def save(self, run: str, *, run_fields: dict | None = None, nodes: Iterable[dict] = (),
             events: Iterable[tuple] = ()) -> None:
        """Persist one scheduling round: run fields, changed nodes and events in ONE transaction."""
        self._write(self._save_op(run, run_fields, nodes, events))

    def save_later(self, run: str, *, run_fields: dict | None = None, nodes: Iterable[dict] = (),
                   events: Iterable[tuple] = ()) -> None:
        """``save()`` on the store's writer thread: the rows are encoded now (the caller may change
        what it passed right after), the transaction runs there. ``sync()`` waits for it."""
        self._writer.submit(self._write, self._save_op(run, run_fields, nodes, events))

    def write_file_later(self, path: Path, data: bytes) -> None:
        """Append ``data`` to ``path`` (a step's log) on the writer thread, in order with the saves:
        a node saved after it was asked for has its log on disk."""
        self._writer.submit(append_file, path, data)

    def sync(self) -> None:
        """Wait for every ``save_later()``/``write_file_later()`` so far; raise the error one of them hit."""
        self._writer.sync()

    @staticmethod
    def _save_op(run: str, run_fields: dict | None, nodes: Iterable[dict], events: Iterable[tuple]):
        """One round's transaction, with every value encoded before it runs."""
        fields = None
        if run_fields:
            fields = dict(run_fields)
            if "status" in fields:
                fields["status"] = json.dumps(fields["status"])
            if "workflow" in fields:
                fields["workflow"] = json.dumps(fields["workflow"])
        node_rows = [(run, n["id"], n.get("phase", ""), _encode(n)) for n in nodes]
        event_rows = [(run, ts, kind, node, _event_data(data)) for (ts, kind, node, data) in events]

        def op(conn):
            if fields:
                fields["updated_at"] = time.time()
                cols = ", ".join(f"{k}=?" for k in fields)
                conn.execute(f"UPDATE runs SET {cols} WHERE name=?", (*fields.values(), run))
            _insert_rows(conn, "INSERT OR REPLACE INTO nodes(run, id, phase, data) VALUES ", node_rows)
            _insert_rows(conn, "INSERT INTO events(run, ts, kind, node, data) VALUES ", event_rows)
        return op

    def _record(self, row: tuple) -> RunRecord:
        return RunRecord(name=row[0], namespace=row[1], uid=row[2], phase=row[3], message=row[4],
                         created_at=row[5], started_at=row[6], finished_at=row[7],
                         workflow=_loads_json(row[8]), status=_loads_json(row[9]), owner_pid=row[10],
                         backend=row[11], updated_at=row[12])

    _COLS = ("name, namespace, uid, phase, message, created_at, started_at, finished_at, workflow, status,"
             " owner_pid, backend, updated_at")

    def get_run(self, name: str, *, with_nodes: bool = True) -> RunRecord | None:
        rows = self._read(f"SELECT {self._COLS} FROM runs WHERE name=?", (name,))
        if not rows:
            return None
        rec = self._record(rows[0])
        if with_nodes:
            rec.nodes = self.get_nodes(name)
        return rec

    def get_nodes(self, run: str) -> dict[str, dict]:
        rows = self._read("SELECT data FROM nodes WHERE run=?", (run,))
        with gc_paused():
            loads = _loads_json
            nodes = [loads(r[0]) for r in rows]
            del rows
            nodes.sort(key=lambda n: (n.get("startedAt") or "", n.get("id")))
            return {n["id"]: n for n in nodes}

    def iter_node_rows(self, run: str, *, page: int = 512) -> Iterable[tuple[str, str]]:
        """``(id, JSON text)`` of every node of ``run`` in id order (the key order of Argo's
        ``status.nodes``, a Go map), a page at a time: a streamed ``get -o json`` holds one page."""
        after = ""
        while True:
            rows = self._read("SELECT id, data FROM nodes WHERE run=? AND id>? ORDER BY id LIMIT ?",
                              (run, after, page))
            yield from rows
            if len(rows) < page:
                return
            after = rows[-1][0]

    def get_node(self, run: str, node_id: str) -> dict | None:
        """One node by id: a primary-key lookup, whatever the size of the run."""
        rows = self._read("SELECT data FROM nodes WHERE run=? AND id=?", (run, node_id))
        return _loads_json(rows[0][0]) if rows else None

    def match_nodes(self, run: str, selector: str, *, limit: int = 2) -> list[dict]:
        """The nodes ``selector`` names, as ``nodesel.matching`` finds them (its id, else its full name,
        else its display name), at most ``limit``, looked up inside SQLite: no other node is decoded."""
        node = self.get_node(run, selector)
        if node is not None:
            return [node]
        # one scan for both names (SQLite parses each row once): full-name matches sort first and,
        # as in nodesel, win over display-name ones
        rows = self._read("SELECT data, by_name FROM (SELECT data, id, json_extract(data, '$.name')=? AS by_name,"
                          " json_extract(data, '$.displayName')=? AS by_display FROM nodes WHERE run=?)"
                          " WHERE by_name OR by_display ORDER BY by_name DESC, id LIMIT ?",
                          (selector, selector, run, limit))
        if rows and rows[0][1]:
            rows = [r for r in rows if r[1]]
        return [_loads_json(r[0]) for r in rows]

    def find_node(self, run: str, selector: str) -> dict | None:
        """One node by id, else by display name or full name (as ``jupyter-flow logs`` accepts).
        The name match scans the run's rows inside SQLite; no other node is decoded here."""
        node = self.get_node(run, selector)
        if node is not None:
            return node
        rows = self._read("SELECT data FROM nodes WHERE run=? AND (json_extract(data, '$.displayName')=?"
                          " OR json_extract(data, '$.name')=?) ORDER BY id LIMIT 1", (run, selector, selector))
        return json.loads(rows[0][0]) if rows else None

    def node_phase(self, run: str, node_id: str) -> str | None:
        """A node's phase (its own column): what a log follower polls, without decoding the node."""
        rows = self._read("SELECT phase FROM nodes WHERE run=? AND id=?", (run, node_id))
        return rows[0][0] if rows else None

    def pod_progress(self, run: str) -> tuple[int, int]:
        """(finished, all) Pod nodes of ``run``, counted inside SQLite: the runs list's progress for a
        run whose stored status has none, without loading its nodes."""
        rows = self._read("SELECT count(*), coalesce(sum(phase IN ('Succeeded','Failed','Error','Skipped',"
                          "'Omitted')), 0) FROM nodes WHERE run=? AND json_extract(data, '$.type')='Pod'", (run,))
        return int(rows[0][1]), int(rows[0][0])

    def list_nodes_digest(self, runs: list[str], *, pods: bool = True) -> dict[str, dict[str, dict]]:
        """What a table of runs reads of their nodes, picked out inside SQLite: per run, its Pod
        nodes (``pods``) and its running Suspend nodes, each as ``{id, type, phase}`` plus
        ``taskResultSynced``/``daemoned`` when set; every other field and node stays unread."""
        out: dict[str, dict[str, dict]] = {}
        kinds = "('Pod','Suspend')" if pods else "('Suspend')"
        for start in range(0, len(runs), 500):
            chunk = runs[start:start + 500]
            rows = self._read(
                "SELECT run, id, type, phase, synced, daemoned FROM (SELECT run, id, phase,"
                " json_extract(data, '$.type') AS type, json_extract(data, '$.taskResultSynced') AS synced,"
                " json_extract(data, '$.daemoned') AS daemoned FROM nodes WHERE run IN ("
                + ",".join("?" * len(chunk)) + f")) WHERE type IN {kinds}", tuple(chunk))
            for run, nid, ntype, phase, synced, daemoned in rows:
                if ntype == "Suspend" and phase != "Running":
                    continue
                node = {"id": nid, "type": ntype, "phase": phase}
                if synced is not None:
                    node["taskResultSynced"] = bool(synced)
                if daemoned is not None:
                    node["daemoned"] = bool(daemoned)
                out.setdefault(run, {})[nid] = node
        return out

    EXPERIMENT = """json_extract(workflow, '$.metadata.labels."jupyter-flow.io/experiment"')"""

    def list_runs(self, *, phase: str | None = None, limit: int | None = None, experiment: str | None = None,
                  oldest_first: bool = False) -> list[RunRecord]:
        """Runs newest first (``oldest_first``: in creation order), narrowed to a phase or to the
        runs of one sweep (its label, found through the ``runs_experiment`` index)."""
        sql = f"SELECT {self._COLS} FROM runs"
        where, args = [], []
        if phase:
            where.append("phase=?")
            args.append(phase)
        if experiment is not None:
            where.append(f"{self.EXPERIMENT}=?")
            args.append(experiment)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at, rowid" if oldest_first else " ORDER BY created_at DESC, rowid DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [self._record(r) for r in self._read(sql, tuple(args))]

    def run_rows(self, *, experiment: str | None = None, oldest_first: bool = False) -> list[tuple]:
        """What a table of runs needs, without decoding any Workflow in Python: ``(name, phase,
        created_at, started_at, finished_at, parameters JSON, labels JSON)``, SQLite's JSON
        functions picking ``spec.arguments.parameters`` and ``metadata.labels`` out of each."""
        sql = ("SELECT name, phase, created_at, started_at, finished_at,"
               " json_extract(workflow, '$.spec.arguments.parameters'), json_extract(workflow, '$.metadata.labels')"
               " FROM runs")
        args: tuple = ()
        if experiment is not None:
            sql += f" WHERE {self.EXPERIMENT}=?"
            args = (experiment,)
        sql += " ORDER BY created_at, rowid" if oldest_first else " ORDER BY created_at DESC, rowid DESC"
        return self._read(sql, args)

    def experiment_exists(self, name: str) -> bool:
        return bool(self._read(f"SELECT 1 FROM runs WHERE {self.EXPERIMENT}=? LIMIT 1", (name,)))

    def create_runs(self, rows: list[tuple[str, dict, str]], *, owner_pid: int | None = None,
                    backend: str = "local", namespace: str = "default") -> None:
        """``create_run`` for many ``(name, workflow, uid)`` in one transaction (a sweep's runs)."""
        now = time.time()
        values = [(name, namespace, uid, "Pending", now, json.dumps(wf), owner_pid, backend, now)
                  for name, wf, uid in rows]
        self._write(lambda conn: conn.executemany(
            "INSERT INTO runs(name, namespace, uid, phase, created_at, workflow, owner_pid, backend, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?,?)", values))

    def set_owner(self, names: list[str], pid: int) -> None:
        """Name ``pid`` as the engine process owning ``names`` (one transaction)."""
        self._write(lambda conn: conn.executemany("UPDATE runs SET owner_pid=? WHERE name=?",
                                                  [(pid, n) for n in names]))

    def latest(self) -> str | None:
        rows = self._read("SELECT name FROM runs ORDER BY created_at DESC LIMIT 1")
        return rows[0][0] if rows else None

    def delete_run(self, name: str, *, if_phase: tuple[str, ...] | None = None) -> bool:
        """Remove the run's rows, then its directory: only ever a directory inside ``runs/``.
        ``if_phase``: only if the run's phase is one of these, checked in the same transaction
        (retention never deletes a run another process has just started again); whether it did.

        The directory is moved aside (``runs/.deleting-<random>``) inside the transaction that deletes
        the rows and removed after it: the name is free once that commits, and a new run of the same
        name (a ``submit`` right after, while a background sweep deletes the old one) makes its own
        ``runs/<name>/``, which removing the old one by name used to take with it."""
        runs, here = self.home / "runs", self.run_dir(name)
        trash = runs / f".deleting-{uuid.uuid4().hex}"   # no run's directory starts with "."
        moved: list[bool] = []

        def op(conn):
            if if_phase is not None:
                row = conn.execute("SELECT phase FROM runs WHERE name=?", (name,)).fetchone()
                if row is None or row[0] not in if_phase:
                    return False
            for table in ("nodes", "events", "requests", "metrics"):
                conn.execute(f"DELETE FROM {table} WHERE run=?", (name,))
            conn.execute("DELETE FROM runs WHERE name=?", (name,))
            # its step-cache records go with it, but for the entries shared through the cache area
            conn.execute("DELETE FROM stepcache WHERE run=? AND shared=0", (name,))
            if not moved and os.path.lexists(here):
                try:
                    os.rename(here, trash)   # a link is renamed itself, never followed
                    moved.append(True)
                except OSError:
                    pass
            return True

        def put_back() -> None:
            if moved and not os.path.lexists(here):
                os.rename(trash, here)
        try:
            done = self._write(op)
        except BaseException:
            put_back()
            raise
        if not done:
            put_back()
            return False
        remove_tree(runs, trash if moved else here)
        return True

    def events(self, run: str, after: int = 0) -> list[dict]:
        rows = self._read("SELECT seq, ts, kind, node, data FROM events WHERE run=? AND seq>? ORDER BY seq",
                          (run, after))
        return [{"seq": s, "ts": ts, "kind": k, "node": n, "data": json.loads(d) if d else None}
                for s, ts, k, n, d in rows]

    def after_writes(self, fn, *args) -> None:
        """Call ``fn(*args)`` on the writer thread once every write queued so far is committed."""
        self._writer.submit(fn, *args)

    def close(self) -> None:
        self._writer.sync()
        with self._lock:
            self._conn.close()


_default: dict[str, Store] = {}


def open_store(home: Path | str | None = None) -> Store:
    """The process-wide store for ``home`` (one connection per process and home)."""
    key = str(Path(home) if home else config.home())
    store = _default.get(key)
    if store is None:
        store = _default[key] = Store(key)
    return store
