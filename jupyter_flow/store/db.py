"""SQLite persistence for runs, nodes, events, control requests and stored templates."""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .. import config
from .paths import component, private_dir, private_file, private_home, remove_tree
from .writer import Writer, append_file

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    name TEXT PRIMARY KEY,
    namespace TEXT NOT NULL DEFAULT 'default',
    uid TEXT NOT NULL,
    phase TEXT NOT NULL DEFAULT 'Pending',
    message TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    workflow TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT '{}',
    owner_pid INTEGER,
    backend TEXT NOT NULL DEFAULT 'local',
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_created ON runs(created_at);
CREATE INDEX IF NOT EXISTS runs_phase ON runs(phase, created_at);  -- list counts and pages by phase (runquery)
CREATE INDEX IF NOT EXISTS runs_experiment
    ON runs(json_extract(workflow, '$.metadata.labels."jupyter-flow.io/experiment"'));
CREATE TABLE IF NOT EXISTS nodes (
    run TEXT NOT NULL,
    id TEXT NOT NULL,
    phase TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run TEXT NOT NULL,
    ts REAL NOT NULL,
    kind TEXT NOT NULL,
    node TEXT,
    data TEXT
);
CREATE INDEX IF NOT EXISTS events_run ON events(run, seq);
CREATE TABLE IF NOT EXISTS requests (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run TEXT NOT NULL,
    action TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL,
    taken_at REAL,
    answer TEXT
);
CREATE INDEX IF NOT EXISTS requests_run ON requests(run, taken_at);
CREATE TABLE IF NOT EXISTS templates (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (kind, name)
);
CREATE TABLE IF NOT EXISTS metrics (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run TEXT NOT NULL,
    node TEXT,
    name TEXT NOT NULL,
    help TEXT NOT NULL,
    type TEXT NOT NULL,
    labels TEXT NOT NULL,
    value REAL NOT NULL,
    ts REAL NOT NULL,
    live_since REAL,
    source TEXT,
    buckets TEXT,
    operation TEXT
);
CREATE INDEX IF NOT EXISTS metrics_run ON metrics(run, seq);
CREATE TABLE IF NOT EXISTS memo (
    cache TEXT NOT NULL,
    key TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (cache, key)
);
CREATE TABLE IF NOT EXISTS stepcache (
    run TEXT NOT NULL,
    node TEXT NOT NULL,
    key TEXT NOT NULL,
    ident TEXT NOT NULL,
    material TEXT NOT NULL,
    outputs TEXT,
    ok INTEGER NOT NULL,
    shared INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    PRIMARY KEY (run, node)
) WITHOUT ROWID;
DROP INDEX IF EXISTS stepcache_key;
CREATE INDEX IF NOT EXISTS stepcache_hits ON stepcache(key, ok, shared, created_at);
CREATE INDEX IF NOT EXISTS stepcache_ident ON stepcache(ident, created_at);
"""


@dataclass
class RunRecord:
    """One row of ``runs``: enough to list runs without loading their nodes."""

    name: str
    namespace: str
    uid: str
    phase: str
    message: str
    created_at: float
    started_at: float | None
    finished_at: float | None
    workflow: dict
    status: dict
    owner_pid: int | None
    backend: str = "local"
    nodes: dict[str, dict] = field(default_factory=dict)
    updated_at: float = 0.0

    def to_dict(self, nodes: dict[str, dict] | None = None) -> dict:
        """The Workflow with ``status`` in Argo's shape; ``status.nodes`` only if ``nodes`` is given
        (a list of runs reads no node)."""
        wf = dict(self.workflow)
        status = dict(self.status)
        status["phase"] = self.phase
        if self.message:
            status["message"] = self.message
        if nodes is not None:
            status["nodes"] = nodes
        wf["status"] = status
        return wf


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


def _pause(seconds: float) -> None:
    """The wait between two tries of a busy statement (a function of its own so a test can see it)."""
    time.sleep(seconds)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    _set_wal(conn)
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def _set_wal(conn: sqlite3.Connection) -> None:
    """``PRAGMA journal_mode=WAL``, retried while another process holds the database.

    On a database still in rollback mode (a new ``runs.db``) the switch takes a read lock and then
    upgrades it; when another connection holds the write lock, SQLite refuses the upgrade at once
    with "database is locked" instead of calling the busy handler (waiting could deadlock). So
    processes opening a new store together (a sweep's engines, ``jupyter-flow`` commands started
    side by side) failed now and then; here the switch is retried for up to ~30 s, as long as
    ``busy_timeout`` would have waited.
    """
    delay, waited = 0.005, 0.0
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or waited >= 30:
                raise
        _pause(delay)
        waited += delay
        delay = min(delay * 2, 0.2)


class Store:
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

    def events(self, run: str, after: int = 0) -> list[dict]:
        rows = self._read("SELECT seq, ts, kind, node, data FROM events WHERE run=? AND seq>? ORDER BY seq",
                          (run, after))
        return [{"seq": s, "ts": ts, "kind": k, "node": n, "data": json.loads(d) if d else None}
                for s, ts, k, n, d in rows]

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

    # -- templates (WorkflowTemplate / ClusterWorkflowTemplate registry) -----------------------
    def put_template(self, kind: str, name: str, data: dict) -> None:
        self._write(lambda c: c.execute("INSERT OR REPLACE INTO templates(kind, name, data, created_at)"
                                        " VALUES (?,?,?,?)", (kind, name, json.dumps(data), time.time())))

    def update_template(self, kind: str, name: str, data: dict) -> bool:
        """Replace a kept document (a CronWorkflow's status, its ``suspend``), keeping its creation time."""
        return bool(self._write(lambda c: c.execute("UPDATE templates SET data=? WHERE kind=? AND name=?",
                                                    (json.dumps(data), kind, name)).rowcount))

    def get_template(self, kind: str, name: str) -> dict | None:
        rows = self._read("SELECT data FROM templates WHERE kind=? AND name=?", (kind, name))
        return json.loads(rows[0][0]) if rows else None

    def list_templates(self, kind: str | None = None) -> list[tuple[str, str, float]]:
        if kind:
            return self._read("SELECT kind, name, created_at FROM templates WHERE kind=? ORDER BY name", (kind,))
        return self._read("SELECT kind, name, created_at FROM templates ORDER BY kind, name")

    def delete_template(self, kind: str, name: str) -> bool:
        return bool(self._write(lambda c: c.execute("DELETE FROM templates WHERE kind=? AND name=?",
                                                    (kind, name)).rowcount))

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

    def after_writes(self, fn, *args) -> None:
        """Call ``fn(*args)`` on the writer thread once every write queued so far is committed."""
        self._writer.submit(fn, *args)

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


def pid_alive(pid: int | None) -> bool:
    """Whether the engine process ``pid`` still runs (a zombie, killed but not reaped, does not)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):
        return True


def registry_for(store: "Store"):
    """templateRef / workflowTemplateRef lookups against ``store``'s template registry (what a
    ``Controller`` is given as ``registry``)."""
    def lookup(name: str, cluster_scope: bool):
        kind = "ClusterWorkflowTemplate" if cluster_scope else "WorkflowTemplate"
        return store.get_template(kind, name)
    return lookup
