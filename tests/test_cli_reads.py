"""``get``, ``get -o json``, ``logs RUN NODE`` and ``list`` on big runs and many runs: each reads only
what it prints (real stores filled as the engine writes them; CLI commands as real processes)."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.bigread import fill_big, fill_many  # noqa: E402


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jupyter_flow.cli", *args], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ))


def corrupt_nodes(store, run: str, keep: tuple[str, ...] = ()) -> None:
    """Every node row of ``run`` but ``keep`` made undecodable: a command that reads one fails."""
    marks = ",".join("?" * len(keep)) or "''"
    store._write(lambda c: c.execute(f"UPDATE nodes SET data='{{not json' WHERE run=? AND id NOT IN ({marks})",
                                     (run, *keep)))


class _Sink(io.TextIOBase):
    """stdout that keeps nothing (what was written is counted and hashed, not held)."""

    def __init__(self):
        import hashlib
        self.size, self.hash = 0, hashlib.sha256()

    def write(self, text: str) -> int:
        self.size += len(text)
        self.hash.update(text.encode("utf-8", "surrogatepass"))
        return len(text)


def _json_peak(store, name: str) -> tuple[int, _Sink]:
    from contextlib import redirect_stdout

    from jupyter_flow import api
    from jupyter_flow.cli.output import print_run
    run = api.get(name, store=store)
    sink = _Sink()
    tracemalloc.start()
    try:
        with redirect_stdout(sink):
            print_run(run, "json")
        return tracemalloc.get_traced_memory()[1], sink
    finally:
        tracemalloc.stop()


def test_get_json_is_the_whole_document_written_node_by_node(store):
    fill_big(store, "small", 2_000)
    fill_big(store, "large", 20_000)
    from jupyter_flow import api
    wf = api.get("small", store=store).to_dict()
    wf["status"]["nodes"] = dict(sorted(wf["status"]["nodes"].items()))   # Argo's (Go map) key order
    out = cli("get", "small", "-o", "json")
    assert out.returncode == 0, out.stderr
    assert out.stdout == json.dumps(wf, indent=2) + "\n"
    small, _ = _json_peak(store, "small")
    large, sink = _json_peak(store, "large")
    # one page of rows at a time: the peak is the largest single node (the loop's StepGroup lists
    # every child id), not the document (~9 MB of text here; built whole it peaked at ~5x that)
    assert sink.size > 8_000_000
    assert large < sink.size / 2, (small, large, sink.size)


def test_get_json_of_a_run_without_nodes(store):
    store.create_run("empty", {"metadata": {"name": "empty"}, "spec": {}}, uid="u")
    out = cli("get", "empty", "-o", "json")
    assert json.loads(out.stdout)["status"] == {"phase": "Pending", "nodes": {}}


def test_logs_of_one_node_reads_no_other_node(store):
    rows = fill_big(store, "big", 500)
    pod = rows[200]
    log = store.log_path("big", pod["id"])
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("one\ntwo\n")
    for selector in (pod["id"], "big-t-198", pod["displayName"], pod["name"]):   # id, (v2) pod name, names
        out = cli("logs", "big", selector)
        assert (out.returncode, out.stdout) == (0, "one\ntwo\n"), out.stderr
    corrupt_nodes(store, "big", (pod["id"],))
    out = cli("logs", "big", pod["id"])   # by id: a primary-key read, whatever the other rows hold
    assert (out.returncode, out.stdout) == (0, "one\ntwo\n"), out.stderr
    assert cli("logs", "big", "big-1").returncode != 0   # another node's row is read: it is corrupt here


def test_list_reads_no_node_and_prints_what_the_full_runs_print(store):
    from jupyter_flow import api, render
    fill_many(store, 40, prefix="r")
    store.create_run("susp", {"metadata": {"name": "susp", "creationTimestamp": "2026-01-01T00:00:00Z"},
                              "spec": {"priority": 2, "arguments": {"parameters": [{"name": "x", "value": "y"}]}}},
                     uid="u", owner_pid=os.getpid())   # alive: this test process owns it
    store.save("susp", run_fields={"phase": "Running", "status": {"phase": "Running",
                                                                  "startedAt": "2026-01-01T00:00:01Z"}},
               nodes=[{"id": "susp", "type": "Steps", "phase": "Running"},
                      {"id": "susp-1", "type": "Suspend", "phase": "Running"},
                      {"id": "susp-2", "type": "Pod", "phase": "Running"}])
    for opts, wide in (((), False), (("-o", "wide"), True)):
        expected = render.render_list([api.get(r.name, store=store).to_dict() for r in store.list_runs()],
                                      wide=wide)
        out = cli("list", *opts)
        assert out.returncode == 0, out.stderr
        # AGE may tick between the two; every other column is the same
        strip = lambda text: [line.split()[:2] + line.split()[3:] for line in text.strip().splitlines()]  # noqa: E731
        assert strip(out.stdout) == strip(expected)
    assert "Running (Suspended)" in out.stdout
    corrupt_nodes(store, "r-00003")
    out = cli("list", "--prefix", "r-0000")
    assert out.returncode == 0 and "r-00003" in out.stdout, out.stderr
    assert cli("list", "--completed", "-o", "name").stdout.split() == [f"r-{i:05d}" for i in range(39, -1, -1)]
    assert cli("list", "--running", "-o", "name").stdout.split() == ["susp"]
    assert cli("list", "--status", "Failed", "-o", "name").stdout.split() == [f"r-{i:05d}" for i in (30, 20, 10, 0)]
