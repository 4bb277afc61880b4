"""Hostile workflows and expressions (issue 16, items 4-5): how long each takes to end, and the
engine's peak RSS, under the default budgets.

    python -m benchmarks.hostile              # default budgets; writes benchmarks/hostile.json, HOSTILE.md
    python -m benchmarks.hostile --smoke      # budgets lowered ten-fold, small loops (checks the code works)
    python -m benchmarks.hostile --only fork,nested --json out.json

Each case runs in a fresh interpreter (``jupyter_flow.submit(..., wait=True)`` or
``expr.evaluate``/``expr.when``) over a private home, capped at 4 GB of address space and
``--timeout`` seconds; the child reports its own ``ru_maxrss`` and wall time, the phase and the
message. Before the budgets the issue measured: ``^(a|a)*$`` on 30 characters 70 s and
``^(a?){40}a{40}$`` hours (holding the GIL), nested ``withSequence`` 100k x 100k and a template
calling itself twice per level past 2.5 GB in under a minute, ``sprig.repeat`` a 4 GB string.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

CHILD = textwrap.dedent("""
    import json, resource, sys, time
    case = json.loads(sys.argv[1])
    t = time.monotonic()
    out = {}
    try:
        if case["kind"] == "run":
            import jupyter_flow
            run = jupyter_flow.submit(case["workflow"], wait=True)
            out = {"phase": run.phase, "message": (run.to_dict()["status"].get("message") or "")[:240],
                   "nodes": len(run.nodes)}
        else:
            from jupyter_flow import expr
            fn = expr.when if case["kind"] == "when" else (lambda s: expr.evaluate(s, {}))
            out = {"value": str(fn(case["text"]))[:80]}
    except Exception as e:  # noqa: BLE001 - the error is the measurement
        out = {"error": f"{type(e).__name__}: {e}"[:240]}
    out["seconds"] = round(time.monotonic() - t, 3)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print("RESULT " + json.dumps(out), flush=True)
""")

TRUE = {"name": "t", "container": {"image": "busybox", "command": ["true"]}}


def _wf(name: str, entry: str, templates: list[dict]) -> dict:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": name + "-"},
            "spec": {"entrypoint": entry, "templates": templates}}


def cases(smoke: bool) -> dict[str, dict]:
    loop = "3000" if smoke else "100000"
    legit = "2000" if smoke else "100000"
    return {
        "regex_alt": {"kind": "when", "text": "'" + "a" * 30 + "!' =~ '^(a|a)*$'",
                      "what": "`^(a|a)*$` on 30 characters (govaluate `=~`)"},
        "regex_opt": {"kind": "expr", "text": "'" + "a" * 40 + "' matches '^(a?){40}a{40}$'",
                      "what": "`^(a?){40}a{40}$` on 40 characters (expr `matches`)"},
        "repeat": {"kind": "expr", "text": "len(sprig.repeat(1000000, sprig.repeat(4000, 'a')))",
                   "what": "`sprig.repeat(1000000, sprig.repeat(4000,'a'))` (a 4 GB string)"},
        "map_strings": {"kind": "expr", "text": "len(map(1..2000, {sprig.repeat(1000000, 'x')}))",
                        "what": "2,000 strings of 1 MB in one expression"},
        "fork": {"kind": "run", "what": "a template calling itself twice per level", "workflow": _wf(
            "fork", "f", [{"name": "f", "steps": [[{"name": "a", "template": "f"}, {"name": "b", "template": "f"}]]}])},
        "nested": {"kind": "run", "what": f"nested withSequence {loop} x {loop}, inner steps skipped by when",
                   "workflow": _wf("nest", "outer", [
                       {"name": "outer", "steps": [[{"name": "o", "template": "inner", "withSequence": {"count": loop}}]]},
                       {"name": "inner", "steps": [[{"name": "i", "template": "t", "when": "false",
                                                     "withSequence": {"count": loop}}]]}, TRUE])},
        "legit": {"kind": "run", "what": f"legitimate: {legit} loop items skipped by when ({int(legit) + 2} nodes)",
                  "workflow": _wf("wide", "m", [{"name": "m", "steps": [[{
                      "name": "s", "template": "t", "when": "{{item}} < 0", "withSequence": {"count": legit}}]]}, TRUE])},
    }


def run_case(case: dict, timeout: float, env: dict) -> dict:
    limit = 4 << 30

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    with tempfile.TemporaryDirectory(prefix="jf-hostile-") as home:
        full_env = dict(os.environ, JUPYTER_FLOW_HOME=home,
                        PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), **env)
        t = time.monotonic()
        try:
            proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(case)], capture_output=True, text=True,
                                  timeout=timeout, env=full_env, cwd=str(ROOT), preexec_fn=cap)
        except subprocess.TimeoutExpired:
            return {"error": f"still running after {timeout:g} s (killed)", "seconds": round(time.monotonic() - t, 1)}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if not lines:
        return {"error": f"exit {proc.returncode}: {proc.stderr.strip()[-240:]}",
                "seconds": round(time.monotonic() - t, 1)}
    return json.loads(lines[-1][len("RESULT "):])


NOTES = """\
Notes. The expression times include the child's first use of the evaluator (parsing, importing RE2);
the match itself takes microseconds. The issue measured, before: `^(a|a)*$` 70 s, `^(a?){40}a{40}$`
hours (both holding the GIL), the fork and the nested loops past 2.5 GB in under a minute, the
repeat a 4 GB string. Run times scale with the machine's load (a load average of 8 on 2 CPUs gives
this process about a quarter of a CPU). A run's node count can be a few under the number of names:
node ids are Argo's 32-bit FNV hash of the name, and among 100,000 names two or so collide (Argo's
ids collide the same way).
"""


def markdown(result: dict) -> str:
    rows = ["| case | ends with | time | engine peak RSS |", "|---|---|---|---|"]
    for name, r in result["cases"].items():
        end = r.get("error") or (f"{r['phase']}: {r.get('message', '')}" if "phase" in r else f"= {r.get('value')}")
        if "nodes" in r:
            end += f" ({r['nodes']:,} nodes)"
        rss = f"{r['peak_rss_mb']:.0f} MB" if "peak_rss_mb" in r else "—"
        rows.append(f"| {r['what'].replace('|', chr(92) + '|')} | {end.replace('|', chr(92) + '|')} "
                    f"| {r['seconds']:.2f} s | {rss} |")
    return (f"# Hostile inputs under the default budgets\n\nDate: {result['date']}. Machine: {result['machine']}; "
            f"load average at start {result['load']}. Produced by `python -m benchmarks.hostile` "
            "(each case in a fresh interpreter, 4 GB address-space cap; time and `ru_maxrss` of that process).\n\n"
            + "\n".join(rows) + "\n\n" + NOTES)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--smoke", action="store_true", help="budgets lowered ten-fold and small loops")
    ap.add_argument("--only", default=None, help="comma-separated case names")
    ap.add_argument("--timeout", type=float, default=1200.0)
    ap.add_argument("--json", default=None, help="write the results here (default benchmarks/hostile.json "
                                                 "and HOSTILE.md, unless --smoke or --only)")
    args = ap.parse_args(argv)
    env = {"JUPYTER_FLOW_MAX_NODES": "20000", "JUPYTER_FLOW_MAX_LOOP_ITEMS_TOTAL": "25000"} if args.smoke else {
        "JUPYTER_FLOW_MAX_NODES": "", "JUPYTER_FLOW_MAX_LOOP_ITEMS_TOTAL": "", "JUPYTER_FLOW_MAX_STRING_BYTES": ""}
    chosen = cases(args.smoke)
    if args.only:
        chosen = {k: v for k, v in chosen.items() if k in args.only.split(",")}
    result = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "smoke": args.smoke,
              "machine": f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
              "load": [round(x, 2) for x in os.getloadavg()], "budgets": env, "cases": {}}
    for name, case in chosen.items():
        r = run_case(case, args.timeout, env)
        r["what"] = case["what"]
        result["cases"][name] = r
        print(f"{name}: {json.dumps(r)}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    elif not args.smoke and not args.only:
        (HERE / "hostile.json").write_text(json.dumps(result, indent=1) + "\n")
        (HERE / "HOSTILE.md").write_text(markdown(result))
        print(f"wrote {HERE / 'hostile.json'} and {HERE / 'HOSTILE.md'}")
    return result


if __name__ == "__main__":
    main()
