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


# -- measuring ------------------------------------------------------------------------------------

def _command(args: list[str], home: Path, tree: Path, out: str | None = None) -> dict:
    """One ``jupyter-flow`` process over ``home`` with ``tree`` on PYTHONPATH: wall, CPU and peak RSS."""
    # cwd: a fresh directory (``python -m`` puts the cwd first on sys.path, before PYTHONPATH);
    # /usr/bin/time: the child's own peak RSS (a child forked from this big process would count its pages)
    env = dict(os.environ, JUPYTER_FLOW_HOME=str(home), PYTHONPATH=str(tree))
    with tempfile.TemporaryDirectory() as cwd, open(out or os.devnull, "wb") as sink:
        stats = Path(cwd) / "time.txt"
        t0 = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", str(stats), sys.executable, "-m",
                               "jupyter_flow.cli", *args], env=env, cwd=cwd, stdout=sink, stderr=subprocess.PIPE,
                              timeout=900)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"jupyter-flow {' '.join(args)}: {proc.stderr.decode()[-2000:]}")
        user, system, rss_kb = stats.read_text().split()[-3:]
    return {"wall_s": wall, "cpu_s": float(user) + float(system), "rss_mb": int(rss_kb) / 1024}


def _median(runs: list[dict]) -> dict:
    return {k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0]}


def measure(args: list[str], home: Path, tree: Path, reps: int) -> dict:
    _command(args, home, tree)   # warm the page cache
    return _median([_command(args, home, tree) for _ in range(reps)])


def in_process(home: Path, n_big: int) -> dict:
    """The same reads inside one process (imports paid already): what a server or a notebook waits."""
    os.environ["JUPYTER_FLOW_HOME"] = str(home)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import contextlib
    import io
    import tracemalloc
    import types

    from jupyter_flow import api
    from jupyter_flow.cli import commands
    from jupyter_flow.cli.output import print_run
    from jupyter_flow.server.manager import FlowManager
    from jupyter_flow.store import open_store
    store = open_store(home)
    mid = f"big-{n_big // 2}"
    out: dict = {}

    def timed(fn, reps=5):
        fn()
        xs = []
        for _ in range(reps):
            t = time.perf_counter()
            fn()
            xs.append(time.perf_counter() - t)
        return round(statistics.median(xs) * 1000, 2)
    quiet = contextlib.redirect_stdout(io.StringIO())
    for label, selector in (("id", mid), ("pod_name", f"big-t-{n_big // 2}"), ("display_name", f"t({n_big // 2}:{n_big // 2})")):
        a = types.SimpleNamespace(name="big", node=selector, follow=False, grep=None, tail=None)

        def logs(a=a):
            with contextlib.redirect_stdout(io.StringIO()):
                commands.cmd_logs(a)
        out[f"logs_by_{label}_ms"] = timed(logs)
    mgr = FlowManager(home)
    out["summary_of_big_run_ms"] = timed(lambda: mgr.run_summary("big"), reps=20)
    with quiet:
        pass
    run = api.get("big", store=store)
    tracemalloc.start()
    with contextlib.redirect_stdout(io.StringIO()) as buf:
        buf.write = lambda text: len(text)   # keep nothing: what a pipe to a file holds
        print_run(run, "json")
    out["get_json_tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 1e6, 1)
    tracemalloc.stop()
    return out


def run(n_big: int, n_runs: int, reps: int, before: Path | None) -> dict:
    result: dict = {"nodes": n_big, "runs": n_runs, "reps": reps, "targets": TARGETS,
                    "load_average": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="jf-bigread-") as tmp:
        big, many = Path(tmp) / "big", Path(tmp) / "many"
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        from jupyter_flow.store import Store
        t0 = time.perf_counter()
        store = Store(big)
        rows = fill_big(store, "big", n_big)
        mid = rows[2 + n_big // 2]
        log = store.log_path("big", mid["id"])
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("".join(f"line {i}\n" for i in range(1000)))
        store.close()
        store = Store(many)
        fill_many(store, n_runs)
        store.close()
        result["fill_s"] = round(time.perf_counter() - t0, 1)
        trees = {"after": ROOT} | ({"before": before} if before else {})
        for which, tree in trees.items():
            r = result[which] = {}
            r["get"] = measure(["get", "big"], big, tree, reps)
            r["get_json"] = measure(["get", "big", "-o", "json"], big, tree, reps)
            r["logs_by_id"] = measure(["logs", "big", mid["id"]], big, tree, reps)
            r["list"] = measure(["list"], many, tree, reps)
            r["list_wide"] = measure(["list", "-o", "wide"], many, tree, reps)
            r["startup"] = measure(["template", "list"], big, tree, reps)
        result["after"]["in_process"] = in_process(big, n_big)
    a = result["after"]
    result["met"] = {"get": a["get"]["wall_s"] <= TARGETS["get_s"],
                     "logs_in_process": a["in_process"]["logs_by_id_ms"] <= TARGETS["logs_s"] * 1000,
                     "list": a["list"]["wall_s"] <= TARGETS["list_s"],
                     "summary": a["in_process"]["summary_of_big_run_ms"] <= TARGETS["summary_ms"]}
    return result


def report(r: dict) -> str:
    rows = [("get (text tree)", "get"), ("get -o json (streamed)", "get_json"), ("logs RUN NODE (by id)", "logs_by_id"),
            (f"list ({r['runs']} runs)", "list"), ("list -o wide", "list_wide"), ("template list (startup)", "startup")]
    lines = ["# Reading big runs and many runs (issue #21)", "",
             f"`python -m benchmarks.bigread`: one run of {r['nodes']:,} nodes (a `withSequence` of `true` steps, "
             f"rows as the engine writes them) and a store of {r['runs']:,} runs; each command a fresh "
             f"`jupyter-flow` process, median of {r['reps']}. Load average at the start: {r['load_average']:.1f} "
             "on 2 cores shared with other work: wall times are upper bounds, CPU (user+sys) is the steadier figure.", "",
             "| command | " + " | ".join(f"{w} wall s | {w} CPU s | {w} peak RSS MB" for w in ("before", "after") if w in r) + " |",
             "|---|" + "---|---|---|" * sum(w in r for w in ("before", "after"))]
    for label, key in rows:
        cells = []
        for w in ("before", "after"):
            if w in r:
                m = r[w][key]
                cells += [f"{m['wall_s']:.2f}", f"{m['cpu_s']:.2f}", f"{m['rss_mb']:.0f}"]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    ip = r["after"]["in_process"]
    lines += ["", "In one process (imports paid, as in a server or a notebook):", "",
              f"- `logs RUN NODE`: by id {ip['logs_by_id_ms']} ms, by pod name {ip['logs_by_pod_name_ms']} ms, "
              f"by display name {ip['logs_by_display_name_ms']} ms (a scan inside SQLite);",
              f"- REST summary of the {r['nodes']:,}-node run (`GET runs/big?summary=1`'s work): {ip['summary_of_big_run_ms']} ms;",
              f"- `get -o json`: tracemalloc peak {ip['get_json_tracemalloc_peak_mb']} MB while writing the document "
              "(the largest single node: the StepGroup listing every child id).", "",
              "Targets: " + ", ".join(f"{k} {'met' if v else 'missed'}" for k, v in r["met"].items()) + "."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bigread", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=None)
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--before", type=Path, default=None, help="a checkout of the code before, measured the same way")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "bigread.json"))
    ap.add_argument("--md", default=str(ROOT / "benchmarks" / "BIGREAD.md"))
    args = ap.parse_args(argv)
    result = run(args.nodes or (2000 if args.smoke else 100_000), args.runs or (500 if args.smoke else 10_000),
                 args.reps or (1 if args.smoke else 3), args.before)
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    Path(args.md).write_text(report(result))
    print(report(result))
    return result


if __name__ == "__main__":
    main()
