"""The content step cache (issue 19): the cost of a step's key, and a fully cached re-run of W1.

    python -m benchmarks.stepcache            # writes benchmarks/stepcache.json and STEPCACHE.md
    python -m benchmarks.stepcache --smoke    # small sizes, nothing written (checks the code works)

Key cost: ``stepcache.material`` + ``key_of`` (what the engine computes before a leaf starts:
the resolved script, its env and inputs, canonical JSON, sha256) for a script step with three
input parameters and no artifacts, on a real ``Controller``, timed over many calls (median of
``reps`` batches). Target ≤ 0.2 ms per node. Also: a step with a 1 MB input artifact, first
(the file is read and hashed) and again (its digest is kept by path, size and mtime).

W1 re-run: the W1 chain (50 sequential ``true`` steps) uncached, i.e. ``submit(..., wait=True)``
with the cache off (the default: every step starts its process; keys are still recorded for
``--continue``), against the same document through ``submit(..., cache=True, wait=True)`` once
the cache holds it (every step a hit: no process starts). Medians of ``reps`` rounds, in a
private home. Target: cached ≤ 0.25× uncached. Also shown: a run with the cache on right after
``cache clear``: W1's 50 steps are the same template with the same (no) inputs, so one key, so
its first step runs and the other 49 already hit: it is not an uncached run.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_KEY_MS = 0.2
TARGET_RATIO = 0.25


def _call():
    """A real Controller, Call and Node for one script step (what leaf.py hands the probe)."""
    from jupyter_flow.engine.controller import Controller
    from jupyter_flow.engine.call import Call
    from jupyter_flow.engine.nodes import Node
    tmpl = {"name": "train", "inputs": {"parameters": [{"name": "lr"}, {"name": "depth"}, {"name": "seed"}]},
            "script": {"image": "python:3.12", "command": ["python"],
                       "env": [{"name": "MODE", "value": "fast"}],
                       "source": "import sys\nlr = 0.01\ndepth = 5\nprint(lr * depth)\n" * 4}}
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "bench", "generateName": "b-"},
          "spec": {"entrypoint": "train", "templates": [tmpl]}}
    ctl = Controller(wf, name="bench")
    inputs = {"parameters": [{"name": "lr", "value": "0.01"}, {"name": "depth", "value": "5"},
                             {"name": "seed", "value": "42"}]}
    node = Node(id="bench-1", name="bench.train", display_name="train", type="Pod", inputs=inputs)
    call = Call(ctl, tmpl, "script", ctl.tmpl_ctx, {}, 0, False, "train", None, inputs)
    return ctl, call, node, tmpl


def key_cost(n: int, reps: int) -> dict:
    from jupyter_flow.engine import stepcache
    ctl, call, node, tmpl = _call()
    batches = []
    for _ in range(reps):
        t = time.perf_counter()
        for _ in range(n):
            stepcache.key_of(stepcache.material(call, node, tmpl, {}))
        batches.append((time.perf_counter() - t) / n * 1000)
    out = {"key_ms": statistics.median(batches), "key_ms_batches": batches, "calls": n}
    # a 1 MB input artifact: hashed once, then its digest is reused
    ctl, call, node, tmpl = _call_with(os.urandom(1 << 20))
    t = time.perf_counter()
    k1 = stepcache.key_of(stepcache.material(call, node, tmpl, {}))
    first = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    for _ in range(n // 10 or 1):
        k2 = stepcache.key_of(stepcache.material(call, node, tmpl, {}))
    again = (time.perf_counter() - t) / (n // 10 or 1) * 1000
    assert k1 == k2
    out.update(artifact_1mb_first_ms=first, artifact_1mb_again_ms=again)
    return out


def _call_with(data: bytes):
    """``_call`` with an input artifact of ``data`` in that controller's own artifact store."""
    ctl, call, node, tmpl = _call()
    dest = ctl.artifact_root / "prep-1" / "data"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    node.inputs = dict(node.inputs, artifacts=[{"name": "data", "path": "/in/data",
                                                "local": {"key": "prep-1/data"}}])
    return ctl, call, node, tmpl


def w1_rerun(steps: int, reps: int) -> dict:
    import jupyter_flow
    from benchmarks.workloads import w1_yaml
    from jupyter_flow.store import open_store
    text = w1_yaml(steps)
    store = open_store()

    def timed(hits: bool = False, **kw) -> float:
        t = time.perf_counter()
        run = jupyter_flow.submit(text, wait=True, **kw)
        took = time.perf_counter() - t
        if run.phase != "Succeeded":
            raise RuntimeError(f"{run.name} ended {run.phase}")
        pods = [n for n in run.nodes.values() if n.get("type") == "Pod"]
        hit = [n for n in pods if (n.get("memoizationStatus") or {}).get("hit")]
        if len(pods) != steps or (hits and len(hit) != steps) or (kw.get("cache") is False and hit):
            raise RuntimeError(f"{run.name}: {len(hit)} of {len(pods)} steps were cache hits")
        return took
    timed(cache=False)   # warm-up: imports, the parsed-document cache
    cleared, cached, off = [], [], []
    for _ in range(reps):
        off.append(timed(cache=False))
        store.stepcache_clear()
        cleared.append(timed(cache=True))
        cached.append(timed(hits=True, cache=True))
    u, c = statistics.median(off), statistics.median(cached)
    return {"steps": steps, "uncached_s": u, "cached_s": c, "after_clear_s": statistics.median(cleared),
            "ratio": c / u, "ratio_of_rounds": statistics.median(x / y for x, y in zip(cached, off)),
            "uncached_all": off, "cached_all": cached, "after_clear_all": cleared}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--json", help="write the results here (default benchmarks/stepcache.json; none with --smoke)")
    a = ap.parse_args(argv)
    home = tempfile.mkdtemp(prefix="jf-bench-stepcache-")
    os.environ["JUPYTER_FLOW_HOME"] = home
    reps = a.reps or (1 if a.smoke else 5)
    key = key_cost(200 if a.smoke else 20_000, reps)
    w1 = w1_rerun(5 if a.smoke else 50, reps)
    result = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "smoke": a.smoke, "key": key, "w1": w1,
              "targets": {"key_ms": TARGET_KEY_MS, "w1_ratio": TARGET_RATIO},
              "met": {"key_ms": key["key_ms"] <= TARGET_KEY_MS, "w1_ratio": w1["ratio"] <= TARGET_RATIO}}
    lines = [
        "| measure | value | target | met |", "|---|---|---|---|",
        f"| key of a script step, no artifacts | {key['key_ms'] * 1000:.1f} µs | ≤ {TARGET_KEY_MS * 1000:.0f} µs "
        f"| {'yes' if result['met']['key_ms'] else 'no'} |",
        f"| key with a 1 MB input artifact, first / again | {key['artifact_1mb_first_ms']:.2f} ms / "
        f"{key['artifact_1mb_again_ms'] * 1000:.1f} µs | | |",
        f"| W1 ({w1['steps']} steps) uncached (cache off) | {w1['uncached_s'] * 1000:.0f} ms | | |",
        f"| W1 fully cached re-run | {w1['cached_s'] * 1000:.0f} ms ({w1['ratio']:.3f}× of the medians; "
        f"{w1['ratio_of_rounds']:.3f}× the median round) | ≤ {TARGET_RATIO}× "
        f"| {'yes' if result['met']['w1_ratio'] else 'no'} |",
        f"| W1 cache on after `cache clear` (1 step runs, 49 hit) | {w1['after_clear_s'] * 1000:.0f} ms | | |",
    ]
    print("\n".join(lines))
    if not a.smoke or a.json:
        out = Path(a.json) if a.json else HERE / "stepcache.json"
        out.write_text(json.dumps(result, indent=2) + "\n")
        if not a.json:
            (HERE / "STEPCACHE.md").write_text(
                "# Step cache (issue 19)\n\n" + (__doc__ or "").split("\n\n", 1)[1].strip() + "\n\n"
                + f"Measured {result['when']} (`python -m benchmarks.stepcache`, median of {reps}):\n\n"
                + "\n".join(lines) + "\n")
    import shutil
    shutil.rmtree(home, ignore_errors=True)
    return 0 if all(result["met"].values()) or a.smoke else 1


if __name__ == "__main__":
    sys.exit(main())
