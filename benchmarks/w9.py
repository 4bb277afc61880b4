"""W9: one huge run of 100,000 nodes (issue #21), against a ThreadPool baseline in the same run.

    python -m benchmarks.w9                      # 100,000 nodes, both shapes; writes w9.json and W9.md
    python -m benchmarks.w9 --nodes 2000 --out DIR   # small (the test in tests/benchmarks runs this)
    python -m benchmarks.w9 --shapes seq --no-write

Two shapes, each ``nodes`` ``true`` steps at parallelism 8:
- ``seq``: a ``withSequence`` of ``nodes`` steps in one steps group;
- ``dag``: a DAG of ``nodes // 100`` layer tasks, each fanned out to 100 (``withSequence``) and
  depending on the previous layer (W4's shape, 1,000 layers of 100 at full size).

Engine side = the user's path, ``jupyter_flow.submit(<YAML text>, wait=True)``, in a fresh
interpreter (so ``ru_maxrss`` is this run's peak); baseline = the same processes in a
``ThreadPoolExecutor(8)`` (``workloads._run``: start, capture stdout, check the exit), with the
same layer barriers, also in a fresh interpreter. Overhead per node = (engine wall - baseline
wall) / nodes. Store = every byte under the run's home (database, WAL, logs) / nodes. Each
engine run is then checked: Succeeded, ``nodes`` Pod nodes, all Succeeded, read back from the
store. Targets (#21): overhead <= 1 ms/node, engine peak RSS <= 300 MB, store <= 2 KB/node.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import workloads as W  # noqa: E402

PARALLELISM = 8
WIDTH = 100
TARGETS = {"overhead_ms_per_node": 1.0, "engine_peak_rss_mb": 300.0, "store_kb_per_node": 2.0}


def seq_yaml(n: int) -> str:
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: w9-seq-
spec:
  entrypoint: main
  parallelism: {PARALLELISM}
  templates:
  - name: main
    steps:
    - - name: s
        template: t
        withSequence:
          count: "{n}"
{W._TRUE_TEMPLATE}"""


def dag_yaml(n: int, width: int = WIDTH) -> str:
    return W.w4_yaml(n, width).replace("parallelism: 2", f"parallelism: {PARALLELISM}").replace(
        "w4-scale-", "w9-dag-")


def seq_baseline(n: int) -> None:
    with ThreadPoolExecutor(max_workers=PARALLELISM) as pool:
        for f in [pool.submit(W._run, [W.TRUE]) for _ in range(n)]:
            f.result()


def dag_baseline(n: int, width: int = WIDTH) -> None:
    with ThreadPoolExecutor(max_workers=PARALLELISM) as pool:
        for _ in range(max(1, n // width)):
            for f in [pool.submit(W._run, [W.TRUE]) for _ in range(width)]:
                f.result()


SHAPES = {"seq": (seq_yaml, seq_baseline), "dag": (dag_yaml, dag_baseline)}


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def child(system: str, shape: str, n: int) -> dict:
    """In a fresh interpreter: one run of ``shape`` by ``system``, with its peak RSS and store."""
    home = Path(os.environ["JUPYTER_FLOW_HOME"])
    import jupyter_flow
    if system == "engine":
        from jupyter_flow.store import open_store
        open_store()
    make_yaml, baseline = SHAPES[shape]
    text = make_yaml(n)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    c, t = _cpu(), time.perf_counter()
    run = jupyter_flow.submit(text, wait=True) if system == "engine" else baseline(n)
    wall, cpu = time.perf_counter() - t, _cpu() - c
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = {"wall_s": wall, "cpu_s": cpu, "peak_rss_kb": rss, "start_rss_kb": rss0}
    if system == "engine":
        out["store_bytes"] = sum(p.stat().st_size for p in home.rglob("*") if p.is_file())
        # the run as the store holds it (after the measurement: reading 100k rows costs memory)
        from jupyter_flow.store import open_store
        rec = open_store().get_run(run.name)
        pods = [d for d in rec.nodes.values() if d.get("type") == "Pod"]
        out.update(phase=run.phase, stored_phase=rec.phase, nodes=len(rec.nodes),
                   pods=len(pods), pods_succeeded=sum(d.get("phase") == "Succeeded" for d in pods),
                   progress=rec.status.get("progress"), distinct_ids=distinct_ids(run.name, shape, n))
    return out


def distinct_ids(run: str, shape: str, n: int, width: int = WIDTH) -> int:
    """How many distinct node ids the run's ``n`` pods have. Argo's ids hash the node name to 32
    bits (``<run>-<fnv32a(name)>``), so 100,000 names share a few (3-8 here); a pod whose id an
    earlier one took is that node, as on Argo: the run has this many Pod nodes, not ``n``."""
    from jupyter_flow.engine.nodes import node_id
    if shape == "seq":
        names = (f"{run}[0].s({i}:{i})" for i in range(n))
    else:
        names = (f"{run}.L{k}({j}:{j})" for k in range(max(1, n // width)) for j in range(width))
    return len({node_id(run, name) for name in names})


def _once(system: str, shape: str, n: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="jf-bench-w9-") as home:
        env = dict(os.environ, JUPYTER_FLOW_HOME=home)
        proc = subprocess.run([sys.executable, "-m", "benchmarks.w9", "--child", system, shape, str(n)],
                              cwd=str(ROOT), env=env, capture_output=True, text=True)
        if proc.returncode:
            raise RuntimeError(f"W9 {system} {shape} n={n} failed:\n{proc.stderr[-3000:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(shape: str, n: int) -> dict:
    """Baseline, then engine, each in its own interpreter and home."""
    b = _once("baseline", shape, n)
    e = _once("engine", shape, n)
    entry = {
        "shape": shape, "nodes": n, "parallelism": PARALLELISM,
        "engine_s": e["wall_s"], "baseline_s": b["wall_s"], "ratio": e["wall_s"] / b["wall_s"],
        "overhead_ms_per_node": (e["wall_s"] - b["wall_s"]) / n * 1000,
        "engine_cpu_ms_per_node": e["cpu_s"] / n * 1000, "baseline_cpu_ms_per_node": b["cpu_s"] / n * 1000,
        "engine_peak_rss_mb": e["peak_rss_kb"] / 1024, "engine_start_rss_mb": e["start_rss_kb"] / 1024,
        "baseline_peak_rss_mb": b["peak_rss_kb"] / 1024,
        "engine_rss_growth_kb_per_node": (e["peak_rss_kb"] - e["start_rss_kb"]) / n,
        "store_mb": e["store_bytes"] / 1e6, "store_kb_per_node": e["store_bytes"] / n / 1024,
        "phase": e["phase"], "stored_phase": e["stored_phase"], "node_count": e["nodes"],
        "pods": e["pods"], "pods_succeeded": e["pods_succeeded"], "progress": e["progress"],
        "distinct_pod_ids": e["distinct_ids"], "id_collisions": n - e["distinct_ids"],
    }
    print(f"W9 {shape} n={n}: engine {entry['engine_s']:.1f}s baseline {entry['baseline_s']:.1f}s, overhead "
          f"{entry['overhead_ms_per_node']:.2f} ms/node, engine cpu {entry['engine_cpu_ms_per_node']:.2f} ms/node, "
          f"peak RSS {entry['engine_peak_rss_mb']:.0f} MB (start {entry['engine_start_rss_mb']:.0f} MB), "
          f"store {entry['store_kb_per_node']:.2f} KB/node, {entry['phase']} {entry['pods_succeeded']}/{n} "
          f"({entry['id_collisions']} id collisions)",
          flush=True)
    return entry


def render(results: dict) -> str:
    lines = [f"# W9: one run of {results['nodes']:,} nodes", "",
             f"{results['date']}, {results['machine']['cpus']} CPUs (load {results['machine']['loadavg_at_start']} at "
             f"start); label: {results.get('label') or '-'}. "
             "Engine = `submit(wait=True)` in a fresh interpreter; baseline = the same processes in a "
             f"`ThreadPoolExecutor({PARALLELISM})`, measured in the same run. Generated by `python -m benchmarks.w9`.",
             "",
             "| shape | nodes | engine s | baseline s | overhead ms/node (≤ 1) | engine CPU ms/node "
             "| peak RSS MB (≤ 300) | store KB/node (≤ 2) | result |",
             "|---|---|---|---|---|---|---|---|---|"]
    for e in results["shapes"].values():
        lines.append(f"| {e['shape']} | {e['nodes']:,} | {e['engine_s']:.1f} | {e['baseline_s']:.1f} "
                     f"| {e['overhead_ms_per_node']:.2f} | {e['engine_cpu_ms_per_node']:.2f} "
                     f"| {e['engine_peak_rss_mb']:.0f} | {e['store_kb_per_node']:.2f} "
                     f"| {e['phase']}, {e['pods_succeeded']:,} pods "
                     f"({e.get('id_collisions', e['nodes'] - e['pods'])} ids shared) |")
    for before in results.get("before") or []:
        lines.append(f"| {before['shape']} (before: {before['label']}) | {before['nodes']:,} "
                     f"| {before['engine_s']:.1f} | {before['baseline_s']:.1f} "
                     f"| {before['overhead_ms_per_node']:.2f} | {before['engine_cpu_ms_per_node']:.2f} "
                     f"| {before['engine_peak_rss_mb']:.0f} | {before['store_kb_per_node']:.2f} | {before['phase']} |")
    for note in results.get("notes") or []:
        lines += ["", note]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.w9", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=100_000)
    ap.add_argument("--shapes", default="seq,dag")
    ap.add_argument("--out", default=None, help="directory for w9.json and W9.md (default benchmarks/)")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--label", default="", help="what code was measured (e.g. a commit)")
    ap.add_argument("--before", default=None, help="a w9.json of the code before, quoted in the table")
    ap.add_argument("--from-json", default=None, help="no measurement: the results of an earlier one")
    ap.add_argument("--child", nargs=3, metavar=("SYSTEM", "SHAPE", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        res = child(args.child[0], args.child[1], int(args.child[2]))
        print(json.dumps(res))
        return res
    from benchmarks.run import machine
    if args.from_json:   # write the files again from a finished measurement (e.g. with --before)
        results = json.loads(Path(args.from_json).read_text())
    else:
        results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(),
                   "label": args.label, "nodes": args.nodes, "targets": TARGETS, "shapes": {}}
        for shape in [s.strip() for s in args.shapes.split(",") if s.strip()]:
            results["shapes"][shape] = measure(shape, args.nodes)
    if args.before:
        old = json.loads(Path(args.before).read_text())
        results["before"] = [dict(e, label=old.get("label") or "before", date=old.get("date"),
                                  loadavg_at_start=old["machine"].get("loadavg_at_start"))
                             for e in old["shapes"].values()]
    if not args.no_write:
        out = Path(args.out) if args.out else HERE
        out.mkdir(parents=True, exist_ok=True)
        (out / "w9.json").write_text(json.dumps(results, indent=1) + "\n")
        (out / "W9.md").write_text(render(results))
        print(f"wrote {out / 'w9.json'} and {out / 'W9.md'}")
    return results


if __name__ == "__main__":
    main()
