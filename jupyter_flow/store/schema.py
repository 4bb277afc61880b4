"""The SQL schema of ``runs.db`` and opening a connection to it (WAL, busy timeout).

Every table of the store is declared here; ``db.Store`` runs :data:`SCHEMA` when it opens the
database, and :func:`_connect` gives it its one connection."""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

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
