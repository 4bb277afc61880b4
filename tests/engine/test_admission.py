"""Big fan-outs under workflow parallelism (engine/admission.py): a child's node exists only once
the parallelism lets it run, as in Argo (checkParallelism before the node is created), and a
waiting child costs no Task, node or frames: the memory of a run no longer grows with the items
still waiting. The final status is the same as before."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import jupyter_flow
from jupyter_flow.engine.admission import admitted, gather_admitted

ROOT = Path(__file__).resolve().parents[2]


def fan_out(n: int, parallelism: int, shape: str = "steps") -> dict:
    t = {"name": "t", "container": {"image": "busybox", "command": ["true"]}}
    if shape == "steps":
        main = {"name": "main", "steps": [[{"name": "s", "template": "t", "withSequence": {"count": str(n)}}]]}
    else:
        main = {"name": "main", "dag": {"tasks": [{"name": "s", "template": "t", "withSequence": {"count": str(n)}}]}}
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "fan-"},
            "spec": {"entrypoint": "main", "parallelism": parallelism, "templates": [main, t]}}


@pytest.mark.parametrize("shape", ["steps", "dag"])
def test_a_fan_out_under_parallelism_creates_each_node_only_when_it_may_run(flow_home, shape):
    # the engine used to create all 80 Pod nodes (Pending) at once, each waiting for a slot;
    # now at most `parallelism` nodes hold a slot and one more waits for it
    from jupyter_flow.api import create
    from jupyter_flow.engine.controller import Controller
    from jupyter_flow.engine.runner import run_in_thread
    from jupyter_flow.store import open_store

    store = open_store()
    name, wf = create(fan_out(80, 2, shape), store=store)
    ctl = Controller(wf, name=name, store=store, uid=wf["metadata"]["uid"])
    most_waiting = 0

    def on_event(event: dict) -> None:
        nonlocal most_waiting
        if event["kind"] == "node":
            waiting = sum(1 for n in ctl.nodes.values() if n.type == "Pod" and n.phase == "Pending")
            most_waiting = max(most_waiting, waiting)
    ctl.subscribe(on_event)
    run_in_thread(ctl)
    assert ctl.done.wait(120)
    assert ctl.phase == "Succeeded"
    pods = [n for n in ctl.nodes.values() if n.type == "Pod"]
    assert len(pods) == 80 and all(n.phase == "Succeeded" for n in pods)
    assert most_waiting <= 2 + 1, most_waiting
    # the children of the loop's group are in item order, as before
    # (past 64 children, add_child keeps a set beside the list: still no duplicates)
    group = next(n for n in ctl.nodes.values() if n.type in ("StepGroup", "TaskGroup") and len(n.children) == 80)
    assert [ctl.nodes[c].display_name for c in group.children] == [f"s({i}:{i})" for i in range(80)]
    stored = jupyter_flow.get(name)
    assert stored.phase == "Succeeded" and stored.to_dict()["status"]["progress"] == "80/80"
    assert stored.nodes[group.id]["children"] == group.children


def test_gather_admitted_starts_each_child_after_the_one_before_is_admitted_and_keeps_order():
    events: list[str] = []

    async def child(i: int, wait: float) -> int:
        events.append(f"start {i}")
        await asyncio.sleep(0)
        admitted()
        events.append(f"admitted {i}")
        await asyncio.sleep(wait)
        return i * 10

    async def main():
        return await gather_admitted(child, [(0, 0.03), (1, 0.0), (2, 0.01)])
    assert asyncio.run(main()) == [0, 10, 20]
    assert events[:4] == ["start 0", "admitted 0", "start 1", "admitted 1"]


def test_gather_admitted_a_child_that_ends_without_admission_lets_the_next_start_and_errors_propagate():
    async def child(i: int) -> int:
        if i == 2:
            raise ValueError("child 2")
        return i

    async def main():
        return await gather_admitted(child, [(i,) for i in range(5)])
    with pytest.raises(ValueError, match="child 2"):
        asyncio.run(main())
    assert asyncio.run(gather_admitted_ok()) == [0, 1, 2]


async def gather_admitted_ok():
    async def child(i: int) -> int:
        return i
    return await gather_admitted(child, [(i,) for i in range(3)])


MEMORY_PROBE = r"""
import json, sys, tracemalloc
import jupyter_flow
from jupyter_flow.store import open_store
n = int(sys.argv[1])
doc = json.loads(sys.argv[2])
open_store()
small = json.loads(json.dumps(doc)); small["spec"]["templates"][0]["steps"][0][0]["withSequence"]["count"] = "40"
jupyter_flow.submit(small, wait=True)   # imports and caches first: they are not the run's
tracemalloc.start(1)
base = tracemalloc.get_traced_memory()[0]
run = jupyter_flow.submit(doc, wait=True)
current, peak = tracemalloc.get_traced_memory()
print(json.dumps({"phase": run.phase, "peak_kb_per_node": (peak - base) / n / 1024,
                  "kept_kb_per_node": (current - base) / n / 1024}))
"""


def test_the_engines_memory_per_node_of_a_big_fan_out_stays_small(tmp_path):
    # 1,500 `true` steps at parallelism 8, traced by tracemalloc in a fresh interpreter: the old
    # engine peaked at ~5.3 KB per node (every waiting child a Task, a node and its frames) and
    # kept ~2.1 KB; now ~1.2 KB and ~1.0 KB. The bound leaves room, and is far below the old peak.
    n = 1500
    env = dict(os.environ, JUPYTER_FLOW_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(n), json.dumps(fan_out(n, 8))],
                         cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["phase"] == "Succeeded"
    assert result["peak_kb_per_node"] < 2.5, result
    assert result["kept_kb_per_node"] < 1.6, result


def test_a_group_with_many_children_is_not_rewritten_at_every_round_while_only_its_children_grow(
        flow_home, monkeypatch):
    # 40 steps of 0.1 s at parallelism 2: children join the group for ~2 s, ~40 rounds of writes.
    # The group used to be re-encoded and rewritten in each of them (its whole children list: at
    # 100,000 items, GBs through the WAL); now once as it grows big, then with its phase, and at
    # the end, whole.
    from jupyter_flow.engine import persist
    from jupyter_flow.store import db
    monkeypatch.setattr(persist, "BIG_NODE", 10)
    monkeypatch.setattr(persist, "BIG_NODE_EVERY", 3600.0)
    writes: list[int] = []
    real = db.Store._save_op

    def counting(run, run_fields, nodes, events):
        nodes = list(nodes)
        writes.extend(len(n.get("children") or []) for n in nodes if n.get("type") == "StepGroup")
        return real(run, run_fields, nodes, events)
    monkeypatch.setattr(db.Store, "_save_op", staticmethod(counting))
    doc = fan_out(40, 2)
    doc["spec"]["templates"][1]["container"]["command"] = ["sleep", "0.1"]
    run = jupyter_flow.submit(doc, wait=True, timeout=120)
    assert run.phase == "Succeeded"
    big = [k for k in writes if k > 10]
    assert big and big[-1] == 40, writes
    assert len(big) <= 3, writes
    group = next(n for n in jupyter_flow.get(run.name).nodes.values() if n["type"] == "StepGroup")
    assert len(group["children"]) == 40 and group["phase"] == "Succeeded"


def test_subscribers_hear_of_a_big_group_growing_as_it_is_written_not_once_per_child(flow_home, monkeypatch):
    # each event carries the node's whole children list: one per child added was O(n^2) for a
    # notebook following a 100,000-item loop. Now a big group that only grew is told as it is
    # written (BIG_NODE_EVERY), and with its phase; the last event has every child.
    from jupyter_flow.api import create
    from jupyter_flow.engine import persist
    from jupyter_flow.engine.controller import Controller
    from jupyter_flow.engine.runner import run_in_thread
    from jupyter_flow.store import open_store
    monkeypatch.setattr(persist, "BIG_NODE", 10)
    monkeypatch.setattr(persist, "BIG_NODE_EVERY", 3600.0)
    doc = fan_out(40, 2)
    doc["spec"]["templates"][1]["container"]["command"] = ["sleep", "0.05"]
    store = open_store()
    name, wf = create(doc, store=store)
    ctl = Controller(wf, name=name, store=store, uid=wf["metadata"]["uid"])
    told: list[tuple[int, str]] = []

    def on_event(event: dict) -> None:
        if event["kind"] == "node" and event["node"]["type"] == "StepGroup":
            told.append((len(event["node"].get("children") or []), event["node"]["phase"]))
    ctl.subscribe(on_event)
    run_in_thread(ctl)
    assert ctl.done.wait(120) and ctl.phase == "Succeeded"
    big = [t for t in told if t[0] > 10]
    assert big[-1] == (40, "Succeeded"), told
    assert len(big) <= 3, told
    assert [k for k, _ in told if k <= 10] == list(range(11)), told   # a small group: each child told
