"""Reading big runs and many runs (issue #21): ``get``/``get -o json``/``logs`` of a 100,000-node run,
``list`` and the REST summaries over 10,000 runs.

    python -m benchmarks.bigread                  # 100,000 nodes, 10,000 runs
    python -m benchmarks.bigread --smoke          # 2,000 nodes, 500 runs (checks the code works)

The stores are filled through the store API with the rows the engine writes for a ``withSequence``
of ``true`` steps (one Steps node, one StepGroup whose ``children`` list every Pod, and the Pods,
each with ``outputs.exitCode``, ``hostNodeName``, ``progress``), as one ``save()`` of a finished run.
Each command runs as a fresh ``jupyter-flow`` process (what a user waits for), median of ``reps``.
Results go to ``benchmarks/bigread.json`` and ``benchmarks/BIGREAD.md``.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"get_s": 1.0, "logs_s": 0.050, "list_s": 0.3, "summary_ms": 50.0}


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def big_run_rows(name: str, n: int, t0: float) -> list[dict]:
    """The node rows of a finished ``withSequence`` of ``n`` ``true`` steps, as the engine writes them."""
    group = f"{name}-g"
    pods = [f"{name}-{i}" for i in range(n)]
    rows = [{"id": name, "name": name, "displayName": name, "type": "Steps", "phase": "Succeeded",
             "boundaryID": "", "templateName": "main", "startedAt": _iso(t0), "finishedAt": _iso(t0 + n / 600),
             "children": [group], "outboundNodes": pods, "estimatedDuration": 0},
            {"id": group, "name": f"{name}[0]", "displayName": "[0]", "type": "StepGroup", "phase": "Succeeded",
             "boundaryID": name, "templateName": "main", "startedAt": _iso(t0), "finishedAt": _iso(t0 + n / 600),
             "children": pods, "estimatedDuration": 0}]
    for i, pid in enumerate(pods):
        at = t0 + i / 600
        rows.append({"id": pid, "name": f"{name}[0].t({i}:{i})", "displayName": f"t({i}:{i})", "type": "Pod",
                     "phase": "Succeeded", "boundaryID": name, "templateName": "t", "startedAt": _iso(at),
                     "finishedAt": _iso(at + 0.01), "outputs": {"result": "", "exitCode": "0"},
                     "hostNodeName": "localhost", "estimatedDuration": 0, "progress": "1/1"})
    return rows


def workflow(name: str, n: int, created: float | None = None) -> dict:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": {"name": name, "namespace": "default", "uid": f"u-{name}",
                         "creationTimestamp": _iso(time.time() if created is None else created),
                         "labels": {"bench": "bigread"}},
            "spec": {"entrypoint": "main", "parallelism": 8,
                     "arguments": {"parameters": [{"name": "p", "value": "1"}]},
                     "templates": [{"name": "main", "steps": [[{"name": "t", "template": "t",
                                                                "withSequence": {"count": str(n)}}]]},
                                   {"name": "t", "container": {"image": "busybox", "command": ["true"]}}]}}


def fill_big(store, name: str, n: int, *, t0: float | None = None) -> list[dict]:
    """One finished run of ``n`` Pods (plus its Steps and StepGroup) written in one ``save()``."""
    t0 = time.time() - 3600 if t0 is None else t0
    store.create_run(name, workflow(name, n, t0), uid=f"u-{name}")
    rows = big_run_rows(name, n, t0)
    store.save(name, run_fields={"phase": "Succeeded", "started_at": t0, "finished_at": t0 + n / 600,
                                 "status": {"phase": "Succeeded", "progress": f"{n}/{n}", "startedAt": _iso(t0),
                                            "finishedAt": _iso(t0 + n / 600)}}, nodes=rows)
    return rows


def fill_many(store, count: int, *, pods: int = 3, prefix: str = "r") -> list[str]:
    """``count`` small finished runs (``pods`` Pods each), oldest first, in a few transactions."""
    names = []
    base = time.time() - count - 10
    for start in range(0, count, 500):
        batch = [f"{prefix}-{i:05d}" for i in range(start, min(start + 500, count))]
        store.create_runs([(b, workflow(b, pods, base + start + i), f"u-{b}") for i, b in enumerate(batch)])
        for i, b in enumerate(batch):
            t0 = base + start + i
            phase = "Failed" if (start + i) % 10 == 0 else "Succeeded"
            store.save(b, run_fields={"phase": phase, "created_at": t0, "started_at": t0, "finished_at": t0 + 1,
                                      "status": {"phase": phase, "progress": f"{pods}/{pods}",
                                                 "startedAt": _iso(t0), "finishedAt": _iso(t0 + 1)}},
                       nodes=big_run_rows(b, pods, t0))
        names += batch
    return names
