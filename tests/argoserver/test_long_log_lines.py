"""A log line longer than one poll's read budget (1 MiB) on the real ``jupyter-flow server``.

A step printing one 1.5 MB line (a JSON blob) made ``GET .../log`` re-read the same first MiB
every poll, forever: the line never fitted, so the stream never advanced, never ended even for a
finished run, and kept a worker thread reading 4 MiB a second while the client waited (its read
timeout never fired: the keep-alive lines). Now such a line is sent in pieces of the budget.
"""
from __future__ import annotations

import json
import time

import requests

from .test_api import Client, done, wf

LONG = 1_500_000


def test_a_line_longer_than_the_poll_budget_is_streamed_and_the_stream_ends(server):
    api = Client(server)
    steps = [{"name": "main", "container": {"image": "busybox", "command": [
        "sh", "-c", f"echo first; head -c {LONG} /dev/zero | tr '\\0' x; echo; echo last"]}}]
    name = api.create(wf(generate="longline-", steps=steps))
    api.wait(name, done)
    pieces: list[str] = []
    deadline = time.monotonic() + 30
    with requests.get(api.base + f"workflows/default/{name}/log", headers=api.headers, stream=True,
                      timeout=60, params={"logOptions.container": "main"}) as r:
        for line in r.iter_lines():
            if line.strip():
                pieces.append(json.loads(line)["result"]["content"])
            assert time.monotonic() < deadline, f"the log stream did not end ({len(pieces)} lines so far)"
    assert pieces[0] == "first" and pieces[-1] == "last"
    assert "".join(pieces[1:-1]) == "x" * LONG
    assert all(len(p) <= 1 << 20 for p in pieces)


def test_a_finished_runs_log_reads_the_run_once_whatever_the_polls(tmp_path, monkeypatch):
    """The run (every node of it) was read again on each poll of a log stream: a 3 MB log of a
    finished run took 3+ polls, each loading the whole run. A finished run's pods no longer change."""
    from jupyter_flow import api
    from jupyter_flow.argoserver.streams import LogStream
    from jupyter_flow.argoserver.workflows import WorkflowOps
    monkeypatch.setenv("JUPYTER_FLOW_HOME", str(tmp_path))
    ops = WorkflowOps(tmp_path)
    steps = [{"name": "main", "container": {"image": "busybox", "command": [
        "sh", "-c", "i=0; while [ $i -lt 3000 ]; do head -c 1000 /dev/zero | tr '\\0' x; echo; i=$((i+1)); done"]}}]
    run = api.submit(wf(generate="bigpolls-", steps=steps), wait=True, timeout=60, store=ops.store)
    assert run.phase == "Succeeded"
    reads = []
    real = ops._workflow
    monkeypatch.setattr(ops, "_workflow", lambda name: reads.append(name) or real(name))
    stream = LogStream(ops, "default", run.name)
    lines, polls = 0, 0
    while not stream.done:
        lines += len(stream.poll())
        polls += 1
    assert lines == 3000 and polls >= 3
    assert reads == [run.name]
