"""Hostile requests and big runs against the real server (pytest-jupyter): bad input is a 400
with a message, a 100,000-node run lists and serves logs without loading its nodes, a follow
of a step printing a huge line streams at most its budget, and a body's ``yaml`` is never a path."""
from __future__ import annotations

import json
import re
import time

import pytest

from jupyter_flow.server.handlers import LogHandler
from jupyter_flow.server.logs import FOLLOW_CHUNK

from .helpers import HELLO
from .test_rest import api, pod, submit_wait

BIG = 100_000


def fill_big_run(store, name: str = "big", nodes: int = BIG) -> str:
    """One finished run of ``nodes`` nodes written straight through the store API (as an engine's
    flushes write them), with a log for one of its pods."""
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
          "metadata": {"name": name, "namespace": "default", "uid": "u-big"}, "spec": {"entrypoint": "main"}}
    store.create_run(name, wf, uid="u-big")
    rows = [{"id": name, "name": name, "displayName": name, "type": "Steps", "phase": "Succeeded"}]
    rows += [{"id": f"{name}-{i}", "name": f"{name}[0].s{i}", "displayName": f"s{i}", "type": "Pod",
              "phase": "Succeeded", "templateName": "t", "boundaryID": name,
              "startedAt": "2026-01-01T00:00:00Z", "finishedAt": "2026-01-01T00:00:01Z"} for i in range(nodes - 1)]
    store.save(name, run_fields={"phase": "Succeeded", "finished_at": time.time(), "status": {
        "phase": "Succeeded", "progress": f"{nodes - 1}/{nodes - 1}", "startedAt": "2026-01-01T00:00:00Z",
        "finishedAt": "2026-01-01T00:10:00Z"}}, nodes=rows)
    log = store.log_path(name, f"{name}-7")
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("line one\nline two\n")
    return name


class Statements:
    """Every SQL statement the server's store runs while in use (sqlite3's trace callback)."""

    def __init__(self, store):
        self.conn = store._conn
        self.seen: list[str] = []

    def __enter__(self):
        self.conn.set_trace_callback(self.seen.append)
        return self

    def __exit__(self, *exc):
        self.conn.set_trace_callback(None)

    def node_reads(self) -> list[str]:
        return [s for s in self.seen if re.search(r"\bFROM nodes\b", s)]


async def test_a_100k_node_run_lists_and_serves_logs_without_loading_its_nodes(jp_fetch, flow_home):
    from jupyter_flow.store import open_store
    store = open_store(flow_home)
    name = fill_big_run(store)
    with Statements(store) as sql:
        t0 = time.perf_counter()
        code, data = await api(jp_fetch, "runs")
        listed = time.perf_counter() - t0
    assert code == 200 and [r["name"] for r in data["runs"]] == [name]
    assert data["runs"][0]["progress"] == f"{BIG - 1}/{BIG - 1}" and data["runs"][0]["phase"] == "Succeeded"
    assert sql.node_reads() == []          # the summary comes from the runs row alone
    assert listed < 1.0, listed            # generous: loading the nodes took 1.2 s here

    for selector in (f"{name}-7", "s7"):   # by id (a key lookup) and by display name (a scan in SQLite)
        with Statements(store) as sql:
            code, data = await api(jp_fetch, "runs", name, "nodes", selector, "log")
        assert code == 200 and data["text"] == "line one\nline two\n" and data["finished"], data
        reads = sql.node_reads()
        # a primary-key lookup of that node, or one match found inside SQLite: never every row
        assert reads and all(re.search(r"WHERE run='big' AND id='[^']+'$", s) or s.endswith("LIMIT 1")
                             for s in reads), reads

    # a run whose status has no progress (an older store) is counted inside SQLite, not loaded
    store.save(name, run_fields={"status": {"phase": "Succeeded"}})
    with Statements(store) as sql:
        code, data = await api(jp_fetch, "runs")
    assert data["runs"][0]["progress"] == f"{BIG - 1}/{BIG - 1}"
    assert [s for s in sql.node_reads() if "count(*)" not in s] == []


@pytest.mark.parametrize("query", [
    {"offset": "99999999999999999999999"}, {"offset": "-1"}, {"offset": "x"}, {"offset": "1e3"},
    {"offset": "\u0661\u0662"}, {"offset": "+7"}, {"length": "0"}, {"length": str(1 << 40)},
    {"tail": "-5"}, {"tail": "99999999999999999999999"}, {"follow": "1", "offset": "99999999999999999999999"},
])
async def test_bad_log_arguments_are_400(jp_fetch, query):
    wf = await submit_wait(jp_fetch)
    name, node = wf["metadata"]["name"], pod(wf)["id"]
    r = await jp_fetch("jupyter-flow", "api", "runs", name, "nodes", node, "log", params=query, raise_error=False)
    assert r.code == 400, (query, r.code, r.body)
    message = json.loads(r.body)["message"]
    assert "must be an integer from" in message, message


async def test_log_ranges_and_tail(jp_fetch, flow_home):
    wf = await submit_wait(jp_fetch)
    name, node = wf["metadata"]["name"], pod(wf)["id"]
    from jupyter_flow.store import open_store
    path = open_store(flow_home).log_path(name, node)
    path.write_bytes("".join(f"line {i} é\n" for i in range(1000)).encode())
    size = path.stat().st_size
    code, tail = await api(jp_fetch, "runs", name, "nodes", node, "log", params={"tail": "30"})
    assert code == 200 and tail["offset"] == tail["size"] == size and tail["finished"]
    assert tail["text"].endswith("line 999 é\n") and len(tail["text"].encode()) <= 30
    assert tail["start"] == size - len(tail["text"].encode())
    # "load earlier": the range just before, cut at whole characters, meets the tail exactly
    start = tail["start"] - 40
    code, before = await api(jp_fetch, "runs", name, "nodes", node, "log",
                             params={"offset": str(start), "length": "40"})
    assert before["offset"] == tail["start"] and before["start"] >= start
    assert (before["text"] + tail["text"]).encode() == path.read_bytes()[before["start"]:]
    code, huge = await api(jp_fetch, "runs", name, "nodes", node, "log", params={"offset": str(1 << 50)})
    assert code == 200 and huge["text"] == "" and huge["finished"]


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("parts,body", [
    (("runs",), '{"yaml": ' + deep(100_000) + "}"),
    (("lint",), '{"yaml": ' + deep(100_000) + "}"),
    (("runs",), '{"yaml": "x", "parameters": {"a": ' + deep(100) + "}}"),
    (("lint",), deep(100_000)),
], ids=["submit-100k-deep", "lint-100k-deep", "parameters-100-deep", "top-level-100k-deep"])
async def test_deep_json_bodies_are_400(jp_fetch, parts, body):
    r = await jp_fetch("jupyter-flow", "api", *parts, method="POST", body=body, raise_error=False)
    assert r.code == 400, (r.code, r.body[:200])
    assert "nests deeper than" in json.loads(r.body)["message"]


async def test_deep_action_body_and_oversized_bodies(jp_fetch):
    wf = await submit_wait(jp_fetch)
    name = wf["metadata"]["name"]
    r = await jp_fetch("jupyter-flow", "api", "runs", name, "resume", method="POST",
                       body='{"node": ' + deep(50_000) + "}", raise_error=False)
    assert r.code == 400 and "nests deeper than" in json.loads(r.body)["message"]
    r = await jp_fetch("jupyter-flow", "api", "lint", method="POST",
                       body=json.dumps({"yaml": "x" * (9 << 20)}), raise_error=False)
    assert r.code == 413, r.code


async def test_the_yaml_field_is_text_never_a_path(jp_fetch, tmp_path):
    """A valid workflow file on the server: its path sent as ``yaml`` is a one-line YAML scalar,
    not the file (which used to be read, submitted and linted from the server's disk)."""
    wf_file = tmp_path / "hello.yaml"
    wf_file.write_text(HELLO)
    secret = tmp_path / "secret"
    secret.write_text("password: hunter2\n")
    for path in (str(wf_file), str(secret)):
        code, data = await api(jp_fetch, "runs", method="POST", body={"yaml": path})
        assert code == 422, (path, code, data)
        assert "hunter2" not in json.dumps(data)
        code, data = await api(jp_fetch, "lint", method="POST", body={"yaml": path})
        assert code == 200 and data["errors"], data
        assert "hunter2" not in json.dumps(data)
    code, data = await api(jp_fetch, "runs")
    assert data["runs"] == []


HUGE_LINE = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: huge-line-
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: busybox
      command: [sh, -c]
      args: ["i=0; while [ $i -lt 40 ]; do head -c 1000000 /dev/zero | tr '\\\\0' x; sleep 0.05; i=$((i+1)); done; echo"]
"""


async def test_following_a_huge_line_streams_at_most_the_budget(jp_fetch, monkeypatch):
    """40 MB on one line, printed over a few seconds: the follower gets bounded events, skips
    what it cannot keep up with (each event says where it starts), and stops at the budget."""
    budget = 1 << 20
    monkeypatch.setattr(LogHandler, "budget", budget)
    code, wf = await api(jp_fetch, "runs", method="POST", body={"yaml": HUGE_LINE})
    assert code == 201, wf
    name = wf["metadata"]["name"]
    import asyncio
    for _ in range(400):
        code, wf = await api(jp_fetch, "runs", name)
        pods = [n for n in wf["status"].get("nodes", {}).values() if n["type"] == "Pod"]
        if pods:
            break
        await asyncio.sleep(0.05)
    r = await jp_fetch("jupyter-flow", "api", "runs", name, "nodes", pods[0]["id"], "log",
                       params={"follow": "1"}, request_timeout=120)
    events = [block for block in r.body.decode().split("\n\n") if block.strip()]
    logs = [json.loads(b.split("data: ", 1)[1]) for b in events if "event: log" in b]
    sent = sum(len(e["text"].encode()) for e in logs)
    assert sent <= budget + FOLLOW_CHUNK, sent
    assert all(len(e["text"].encode()) <= FOLLOW_CHUNK for e in logs)
    assert events[-1].startswith(("event: budget", "event: end")), events[-1][:80]
    if events[-1].startswith("event: budget"):   # bytes skipped to catch up do not count against it
        assert sent >= budget, sent
    # each event is the range [start, offset): contiguous, or past a gap of skipped bytes
    for prev, cur in zip(logs, logs[1:]):
        assert cur["start"] >= prev["offset"]
        assert cur["offset"] - cur["start"] == len(cur["text"].encode())
    await api(jp_fetch, "runs", name, "terminate", method="POST")


async def test_a_filename_that_is_not_plain_text_is_400(jp_fetch):
    for bad in ([1], {"a": 1}, "x\ny.yaml", "y" * 2000):
        for parts in (("runs",), ("lint",)):
            code, data = await api(jp_fetch, *parts, method="POST", body={"yaml": HELLO, "filename": bad})
            assert code == 400 and "filename must be" in data["message"], (parts, bad, code, data)
    code, data = await api(jp_fetch, "lint", method="POST", body={"yaml": HELLO, "filename": "mine.yaml"})
    assert code == 200 and data == {"errors": []}
