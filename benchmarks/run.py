"""Run the benchmark workloads W1-W8 (W1-W5 and W8 against ThreadPool baselines, in the same run).

    python -m benchmarks            # full sizes, writes benchmarks/results.json and RESULTS.md
    python -m benchmarks --smoke    # tiny sizes, checks the code works (CI); no files written
    python -m benchmarks --only w1,w4 --reps 7     # a subset: prints the table, writes only with --out
    python -m benchmarks --only w6,w7 --out /tmp/b

Engine side = the whole user path: ``jupyter_flow.submit(<YAML text>, wait=True)`` with
default settings (parse, validate, schedule, spawn, capture, persist, finish). Baseline =
``ThreadPoolExecutor(max_workers=2)`` running the same processes with the same dependencies.
Repetitions alternate engine/baseline (and which goes first), so both see the same machine
load; medians and ratios are reported. W4 runs each measurement in a fresh process (peak RSS,
store size); W6 measures imports in fresh interpreters. W7 (``benchmarks/w7_widget.py``) drives
the notebook widget in a private JupyterLab in headless Chromium, and is recorded as skipped, with
the reason, where Chromium, Playwright or JupyterLab is missing. W8 (``benchmarks/w8_sweep.py``) is a
sweep of 1,000 one-step runs at parallelism 4 against a ``ThreadPoolExecutor(4)``, and
``runs().to_frame()`` over a store of 10,000 runs.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import workloads as W  # noqa: E402
from benchmarks.stats import ratio_interval  # noqa: E402

ALL = "w1,w2,w3,w4,w5,w6,w7,w8"
TARGETS = {"ratio": 1.25, "w4_per_node_ms": 2.0, "w4_scaling": 11.0, "w4_kb_per_node": 20.0,
           "w5_ms": 20.0, "fixed_ms": 5.0, "w6_ms": 150.0,
           "w7_first_paint_s": 2.0, "w7_final_state_s": 1.0, "w7_updates_per_s": 10.0}


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _engine(yaml_text: str) -> None:
    import jupyter_flow
    run = jupyter_flow.submit(yaml_text, wait=True)
    if run.phase != "Succeeded":
        raise RuntimeError(f"{run.name} ended {run.phase}: {run.to_dict()['status'].get('message')}")


def _timed(fn) -> tuple[float, float]:
    c, t = _cpu(), time.perf_counter()
    fn()
    return time.perf_counter() - t, _cpu() - c


def compare(name: str, engine_fn, base_fn, reps: int, steps: int) -> dict:
    """Interleaved repetitions (order alternating), after one warm-up of each."""
    engine_fn(), base_fn()
    e_wall, e_cpu, b_wall, b_cpu = [], [], [], []
    for i in range(reps):
        order = [("e", engine_fn), ("b", base_fn)] if i % 2 == 0 else [("b", base_fn), ("e", engine_fn)]
        for who, fn in order:
            wall, cpu = _timed(fn)
            (e_wall if who == "e" else b_wall).append(wall)
            (e_cpu if who == "e" else b_cpu).append(cpu)
    em, bm = statistics.median(e_wall), statistics.median(b_wall)
    ratios = [e / b for e, b in zip(e_wall, b_wall)]
    out = {
        "workload": name, "steps": steps, "reps": reps,
        "engine_s": em, "baseline_s": bm, "ratio": em / bm, "ratio_median_of_pairs": statistics.median(ratios),
        "ratio_ci95": list(ratio_interval(e_wall, b_wall)),
        "engine_s_all": e_wall, "baseline_s_all": b_wall,
        "overhead_ms_per_step": (em - bm) / steps * 1000,
        "engine_cpu_ms_per_step": statistics.median(e_cpu) / steps * 1000,
        "baseline_cpu_ms_per_step": statistics.median(b_cpu) / steps * 1000,
    }
    out["cpu_overhead_ms_per_step"] = out["engine_cpu_ms_per_step"] - out["baseline_cpu_ms_per_step"]
    print(f"{name}: engine {em:.3f}s baseline {bm:.3f}s ratio {em / bm:.2f} "
          f"[{out['ratio_ci95'][0]:.2f}, {out['ratio_ci95'][1]:.2f}] "
          f"(cpu/step engine {out['engine_cpu_ms_per_step']:.2f} ms, baseline {out['baseline_cpu_ms_per_step']:.2f} ms)",
          flush=True)
    return out


# ---- W5: submit() -> first step's process start ----------------------------------------------------

def w5(reps: int) -> dict:
    import jupyter_flow
    text = W.w5_yaml()

    def engine_once() -> tuple[float, float]:
        t0 = time.time_ns()
        p0 = time.perf_counter()
        run = jupyter_flow.submit(text, wait=True)
        total = time.perf_counter() - p0
        started = int(run.to_dict()["status"]["nodes"][run.name]["outputs"]["result"])
        return (started - t0) / 1e6, total

    def base_once() -> tuple[float, float]:
        t0 = time.time_ns()
        p0 = time.perf_counter()
        started = W.w5_baseline()
        return (started - t0) / 1e6, time.perf_counter() - p0

    engine_once(), base_once()
    e_first, e_total, b_first, b_total = [], [], [], []
    for i in range(reps):
        for who in (("e", "b") if i % 2 == 0 else ("b", "e")):
            first, total = engine_once() if who == "e" else base_once()
            (e_first if who == "e" else b_first).append(first)
            (e_total if who == "e" else b_total).append(total)
    out = {"workload": "W5", "reps": reps,
           "engine_first_step_ms": statistics.median(e_first), "baseline_first_step_ms": statistics.median(b_first),
           "engine_one_step_s": statistics.median(e_total), "baseline_one_step_s": statistics.median(b_total)}
    out["fixed_cost_ms"] = (out["engine_one_step_s"] - out["baseline_one_step_s"]) * 1000
    out["cold_first_step_ms"] = _cold_first_step()
    print(f"W5: first step {out['engine_first_step_ms']:.1f} ms after submit() (baseline "
          f"{out['baseline_first_step_ms']:.1f} ms; cold process {out['cold_first_step_ms']:.1f} ms); "
          f"fixed cost per run {out['fixed_cost_ms']:.1f} ms", flush=True)
    return out


_COLD = """
import json, sys, time
sys.path.insert(0, {root!r})
from benchmarks.workloads import w5_yaml
text = w5_yaml()
import jupyter_flow
t0 = time.time_ns()
run = jupyter_flow.submit(text, wait=True)
print((int(run.to_dict()["status"]["nodes"][run.name]["outputs"]["result"]) - t0) / 1e6)
"""


def _cold_first_step() -> float:
    """The first submit() of a fresh interpreter (jupyter_flow imported, nothing else warm)."""
    values = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", _COLD.format(root=str(ROOT))], capture_output=True, text=True,
                             env=dict(os.environ), check=True).stdout
        values.append(float(out.strip().splitlines()[-1]))
    return statistics.median(values)


# ---- W4: one measurement per fresh process ---------------------------------------------------------

def w4_child(system: str, n: int, width: int) -> dict:
    """Runs in a fresh interpreter: one W4 run, with its peak RSS and store size."""
    home = Path(os.environ["JUPYTER_FLOW_HOME"])
    import jupyter_flow  # noqa: F401  (import before the baseline too: same starting RSS)
    if system == "engine":
        from jupyter_flow.store import open_store
        open_store()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    text = W.w4_yaml(n, width)
    c, t = _cpu(), time.perf_counter()
    if system == "engine":
        _engine(text)
    else:
        W.w4_baseline(n, width)
    wall, cpu = time.perf_counter() - t, _cpu() - c
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    size = sum(p.stat().st_size for p in home.rglob("*") if p.is_file()) if system == "engine" else 0
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_kb": rss, "start_rss_kb": rss0, "store_bytes": size}


def _w4_once(system: str, n: int, width: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="jf-bench-w4-") as home:
        env = dict(os.environ, JUPYTER_FLOW_HOME=home)
        out = subprocess.run([sys.executable, "-m", "benchmarks.run", "--w4-child", system, str(n), str(width)],
                             cwd=str(ROOT), env=env, capture_output=True, text=True)
        if out.returncode:
            raise RuntimeError(f"W4 {system} n={n} failed:\n{out.stderr[-3000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])


def w4(sizes: list[int], width: int, reps: int) -> dict:
    results: dict = {"workload": "W4", "width": width, "reps": reps, "sizes": {}}
    for n in sizes:
        runs = {"engine": [], "baseline": []}
        for i in range(reps):
            for system in (("engine", "baseline") if i % 2 == 0 else ("baseline", "engine")):
                runs[system].append(_w4_once(system, n, width))
        med = {s: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for s, rs in runs.items()}
        e, b = med["engine"], med["baseline"]
        entry = {
            "engine_s": e["wall_s"], "baseline_s": b["wall_s"], "ratio": e["wall_s"] / b["wall_s"],
            "per_node_overhead_ms": (e["wall_s"] - b["wall_s"]) / n * 1000,
            "engine_cpu_ms_per_node": e["cpu_s"] / n * 1000, "baseline_cpu_ms_per_node": b["cpu_s"] / n * 1000,
            "engine_peak_rss_mb": e["peak_rss_kb"] / 1024, "baseline_peak_rss_mb": b["peak_rss_kb"] / 1024,
            "engine_rss_growth_kb_per_node": (e["peak_rss_kb"] - e["start_rss_kb"]) / n,
            "store_mb": e["store_bytes"] / 1e6, "store_kb_per_node": e["store_bytes"] / n / 1024,
            "runs": runs,
        }
        results["sizes"][str(n)] = entry
        print(f"W4 n={n}: engine {e['wall_s']:.2f}s baseline {b['wall_s']:.2f}s, per-node overhead "
              f"{entry['per_node_overhead_ms']:.2f} ms, engine cpu/node {entry['engine_cpu_ms_per_node']:.2f} ms, "
              f"peak RSS {entry['engine_peak_rss_mb']:.0f} MB ({entry['engine_rss_growth_kb_per_node']:.1f} KB/node), "
              f"store {entry['store_mb']:.1f} MB", flush=True)
    if len(sizes) >= 2:
        lo, hi = str(min(sizes)), str(max(sizes))
        results["scaling"] = results["sizes"][hi]["engine_s"] / results["sizes"][lo]["engine_s"]
        results["baseline_scaling"] = results["sizes"][hi]["baseline_s"] / results["sizes"][lo]["baseline_s"]
        results["scaling_sizes"] = [int(lo), int(hi)]
        print(f"W4 t({hi})/t({lo}) = {results['scaling']:.2f} (baseline {results['baseline_scaling']:.2f})")
    return results


# ---- W6: import time ---------------------------------------------------------------------------------

def _importtime_us(module: str) -> int:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], cwd=str(ROOT),
                         capture_output=True, text=True, check=True).stderr
    for line in out.splitlines()[::-1]:
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1])
    return 0


_W6_CHILD = r"""
import json, sys, time
sys.path.insert(0, {root!r})
what = sys.argv[1]
t0 = time.perf_counter()
if what in ("ext", "shell"):
    from IPython.core.interactiveshell import InteractiveShell
    sh = InteractiveShell.instance()
t1 = time.perf_counter()
before = set(sys.modules)
if what == "ext":
    sh.run_line_magic("load_ext", "jupyter_flow")
elif what == "import":
    import jupyter_flow
t2 = time.perf_counter()
print(json.dumps({{"setup_s": t1 - t0, "timed_s": t2 - t1, "new_modules": sorted(set(sys.modules) - before)}}))
"""


def _w6_child(what: str, importtime: bool = False) -> tuple[dict, float, str]:
    """One fresh interpreter: ``what`` = bare | import | shell | ext. Returns (child's own
    timings, the process's wall time, its stderr)."""
    t = time.perf_counter()
    out = subprocess.run([sys.executable, *(["-X", "importtime"] if importtime else []), "-c",
                          _W6_CHILD.format(root=str(ROOT)), what], cwd=str(ROOT), capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1]), time.perf_counter() - t, out.stderr


def _importtime_top(stderr: str, modules: list[str], k: int = 6) -> list[dict]:
    """The heaviest of ``modules`` by own import time, from ``-X importtime`` output."""
    wanted, rows = set(modules), []
    for line in stderr.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] in wanted and parts[1].isdigit():
            rows.append({"module": parts[2], "cumulative_ms": int(parts[1]) / 1000, "self_ms": int(parts[0].split()[-1]) / 1000})
    return sorted(rows, key=lambda r: -r["self_ms"])[:k]


def w6(reps: int) -> dict:
    """``import jupyter_flow`` and ``%load_ext jupyter_flow``, each in fresh interpreters.

    The number that counts is timed inside the child (``perf_counter`` around the import or the
    magic), so interpreter start-up and IPython's own import (~1 s here, and its noise) are not in
    it. Whole-process wall times with vs without are interleaved too (order alternating) and their
    median difference reported as a cross-check; on a shared machine that one is the noisy one."""
    has_notebook = (ROOT / "jupyter_flow" / "notebook").is_dir()
    kinds = ["bare", "import"] + (["shell", "ext"] if has_notebook else [])
    try:
        _w6_child("ext") if has_notebook else None
    except subprocess.CalledProcessError:
        kinds = ["bare", "import"]
    inproc: dict[str, list[float]] = {k: [] for k in kinds}
    wall: dict[str, list[float]] = {k: [] for k in kinds}
    new_modules: dict[str, list[str]] = {}
    for i in range(reps):
        for kind in (kinds if i % 2 == 0 else kinds[::-1]):
            child, w, _err = _w6_child(kind)
            inproc[kind].append(child["timed_s"])
            wall[kind].append(w)
            new_modules[kind] = child["new_modules"]
    med = {k: statistics.median(v) for k, v in wall.items()}
    cumulative = statistics.median(_importtime_us("jupyter_flow") for _ in range(3)) / 1000
    out = {"workload": "W6", "reps": reps, "bare_interpreter_s": med["bare"], "import_s": med["import"],
           "import_ms": statistics.median(inproc["import"]) * 1000,
           "import_wall_delta_ms": (med["import"] - med["bare"]) * 1000,
           "import_ms_all": [x * 1000 for x in inproc["import"]],
           "import_new_modules": len(new_modules.get("import", [])),
           "importtime_cumulative_ms": cumulative}
    if "ext" in kinds:
        ext_child, _w, err = _w6_child("ext", importtime=True)
        out.update({
            "load_ext_ms": statistics.median(inproc["ext"]) * 1000,
            "load_ext_ms_all": [x * 1000 for x in inproc["ext"]],
            "load_ext_wall_delta_ms": (med["ext"] - med["shell"]) * 1000,
            "ipython_shell_s": med["shell"],
            "load_ext_new_modules": new_modules["ext"],
            "load_ext_importtime_top": _importtime_top(err, ext_child["new_modules"]),
            "load_ext_note": None})
    else:
        out.update({"load_ext_ms": None, "load_ext_note": "jupyter_flow/notebook not present yet" if not has_notebook
                    else "%load_ext jupyter_flow failed in a bare InteractiveShell"})
    print(f"W6: import jupyter_flow {out['import_ms']:.1f} ms in a fresh interpreter (median of {reps}; "
          f"process wall delta {out['import_wall_delta_ms']:.0f} ms; -X importtime cumulative {cumulative:.0f} ms); "
          + (f"%load_ext jupyter_flow {out['load_ext_ms']:.1f} ms in a fresh IPython shell "
             f"(process wall delta vs a shell without it {out['load_ext_wall_delta_ms']:.0f} ms; "
             f"{len(out['load_ext_new_modules'])} modules loaded)" if out["load_ext_ms"] is not None
             else out["load_ext_note"]), flush=True)
    return out


# ---- profile: where the engine's time goes ----------------------------------------------------------

def profile(text: str, top: int = 14) -> list[dict]:
    """cProfile of the engine thread for one run of ``text``: the heaviest functions by own time."""
    import asyncio
    import cProfile
    import pstats

    from jupyter_flow import api
    from jupyter_flow.engine.controller import Controller
    store = api._store()
    name, wf = api.create(text, store=store)
    ctl = Controller(wf, name=name, store=store, uid=wf["metadata"]["uid"], registry=api.registry_for(store))
    prof = cProfile.Profile()
    prof.enable()
    asyncio.run(ctl.run())
    prof.disable()
    stats = pstats.Stats(prof).stats
    total = sum(v[2] for v in stats.values())
    rows = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    return [{"function": f"{Path(k[0]).name}:{k[1]}({k[2]})", "calls": v[1], "own_s": v[2],
             "share": v[2] / total if total else 0.0} for k, v in rows]


# ---- driver ----------------------------------------------------------------------------------------

def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "kernel": platform.release(), "mem_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
            "loadavg_at_start": [round(x, 2) for x in load]}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes; check the code works (no files written)")
    ap.add_argument("--only", default=ALL, help=f"comma-separated workloads (default {ALL}); a subset run "
                    "writes files only with --out (the committed results file always comes from a full run)")
    ap.add_argument("--reps", type=int, default=None, help="repetitions per workload (default 9, smoke 1)")
    ap.add_argument("--pair-reps", type=int, default=None,
                    help="interleaved engine/baseline pairs for W1-W3 (default 31, smoke 1): their ratios move "
                         "by ±0.1 between runs of 9 pairs on a shared 2-CPU machine")
    ap.add_argument("--w4-sizes", default=None, help="comma-separated W4 sizes (default 1000,10000)")
    ap.add_argument("--w4-reps", type=int, default=None)
    ap.add_argument("--w7-nodes", type=int, default=None, help="W7 graph size (default 1000, smoke 50)")
    ap.add_argument("--w7-reps", type=int, default=None, help="W7 displays (default 3, smoke 1)")
    ap.add_argument("--out", default=None, help="directory for results.json and RESULTS.md (default benchmarks/)")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--w4-child", nargs=3, metavar=("SYSTEM", "N", "WIDTH"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.w4_child:
        res = w4_child(args.w4_child[0], int(args.w4_child[1]), int(args.w4_child[2]))
        print(json.dumps(res))
        return res

    smoke = args.smoke
    reps = args.reps or (1 if smoke else 9)
    pair_reps = args.pair_reps or args.reps or (1 if smoke else 31)
    only = {w.strip().lower() for w in args.only.split(",") if w.strip()}
    sizes = [int(s) for s in (args.w4_sizes or ("20,40" if smoke else "1000,10000")).split(",")]
    w4_reps = args.w4_reps or (1 if smoke else 3)
    width = 10 if smoke else 100
    n1, n2, n3 = (3, 4, 1) if smoke else (50, 200, 10)

    home_dir = tempfile.TemporaryDirectory(prefix="jf-bench-")
    os.environ["JUPYTER_FLOW_HOME"] = home_dir.name
    results: dict = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(),
                     "smoke": smoke, "targets": TARGETS, "workloads": {}}
    wl = results["workloads"]
    if "w1" in only:
        y = W.w1_yaml(n1)
        wl["W1"] = compare("W1 chain", lambda: _engine(y), lambda: W.w1_baseline(n1), pair_reps, n1)
    if "w2" in only:
        y = W.w2_yaml(n2)
        wl["W2"] = compare("W2 fan-out", lambda: _engine(y), lambda: W.w2_baseline(n2), pair_reps, n2 + 1)
    if "w3" in only:
        y = W.w3_yaml()

        def e3():
            for _ in range(n3):
                _engine(y)
        wl["W3"] = compare("W3 diamond", e3, lambda: W.w3_baseline(n3), pair_reps, 4 * n3)
        if not smoke:
            # the same, with every submit parsing and validating its document (a first run of a new cell):
            # the validated-document cache (jupyter_flow/spec/cache.py) is emptied before each submit
            from jupyter_flow.spec import cache

            def e3_cold():
                for _ in range(n3):
                    cache.clear()
                    _engine(y)
            wl["W3 uncached"] = compare("W3 diamond, uncached", e3_cold, lambda: W.w3_baseline(n3), pair_reps, 4 * n3)
    if "w5" in only:
        wl["W5"] = w5(max(reps, 3) if not smoke else 1)
    if "w4" in only:
        wl["W4"] = w4(sizes, width, w4_reps)
    if "w6" in only:
        wl["W6"] = w6(1 if smoke else 7)
    if "w7" in only:
        from benchmarks import w7_widget
        wl["W7"] = w7_widget.run(smoke=smoke, n=args.w7_nodes, reps=args.w7_reps)
    if "w8" in only:
        from benchmarks import w8_sweep
        wl["W8"] = w8_sweep.run(smoke=smoke)
    if not smoke:
        prof = {}
        if "w1" in only:
            prof["W1"] = profile(W.w1_yaml(n1))
        if "w4" in only:
            prof["W4 n=1000"] = profile(W.w4_yaml(1000, width))
        results["profile"] = prof
    home_dir.cleanup()
    partial = only != set(ALL.split(","))
    if partial and not args.out and not args.no_write and not smoke:
        from benchmarks.report import render
        print(render(results))
        print("(a subset of the workloads: nothing written; pass --out DIR to write files)")
    elif not args.no_write and not smoke:
        out = Path(args.out) if args.out else HERE
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
        from benchmarks.report import render
        (out / "RESULTS.md").write_text(render(results))
        print(f"wrote {out / 'results.json'} and {out / 'RESULTS.md'}")
    elif smoke and args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
        from benchmarks.report import render
        (out / "RESULTS.md").write_text(render(results))
    return results


if __name__ == "__main__":
    main()
