"""results.json -> RESULTS.md (a Markdown table plus notes)."""
from __future__ import annotations

import json
import sys
from pathlib import Path


def _verdict(value: float | None, target: float, unit: str = "") -> str:
    if value is None:
        return "—"
    if value <= target:
        return f"met (≤ {target:g}{unit})"
    return f"**missed** by {value - target:.2f}{unit} ({value / target:.1f}× the target)"


def render(r: dict) -> str:
    m, wl, t = r["machine"], r["workloads"], r["targets"]
    lines = [
        "# jupyter-flow benchmark results",
        "",
        f"Date: {r['date']}. Machine: {m['cpus']} CPUs ({m['cpu']}), {m['mem_gb']} GB, Linux {m['kernel']}, "
        f"Python {m['python']}; load average at start {m['loadavg_at_start']}.",
        "Produced by `python -m benchmarks` (workloads: `shared/design/benchmarks.md`). Engine = "
        "`jupyter_flow.submit(<YAML>, wait=True)` with default settings; baseline = "
        "`ThreadPoolExecutor(max_workers=2)` running the same processes, interleaved in the same run; medians.",
        "",
        "| workload | jupyter-flow | baseline | ratio | engine overhead | engine CPU / step | target |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, label in (("W1", "W1 chain (50 steps)"), ("W2", "W2 fan-out (200 + join, parallelism 2)"),
                       ("W3", "W3 diamond ×10")):
        w = wl.get(key)
        if not w:
            continue
        lines.append(f"| {label} | {w['engine_s']:.3f} s | {w['baseline_s']:.3f} s | {w['ratio']:.2f}× | "
                     f"{w['overhead_ms_per_step']:.2f} ms/step | {w['engine_cpu_ms_per_step']:.2f} ms "
                     f"(baseline {w['baseline_cpu_ms_per_step']:.2f}) | {_verdict(w['ratio'], t['ratio'], '×')} |")
    w4 = wl.get("W4")
    if w4:
        for n, e in w4["sizes"].items():
            lines.append(
                f"| W4 scale, {int(n):,} nodes (layers of {w4['width']}) | {e['engine_s']:.2f} s | "
                f"{e['baseline_s']:.2f} s | {e['ratio']:.2f}× | {e['per_node_overhead_ms']:.2f} ms/node | "
                f"{e['engine_cpu_ms_per_node']:.2f} ms (baseline {e['baseline_cpu_ms_per_node']:.2f}) | "
                f"{_verdict(e['per_node_overhead_ms'], t['w4_per_node_ms'], ' ms') if int(n) >= 10000 else '—'} |")
        if "scaling" in w4:
            lo, hi = w4["scaling_sizes"]
            lines.append(f"| W4 t({hi:,})/t({lo:,}) | {w4['scaling']:.2f} | {w4['baseline_scaling']:.2f} | | | | "
                         f"{_verdict(w4['scaling'], t['w4_scaling'])} |")
        big = w4["sizes"][max(w4["sizes"], key=int)]
        lines.append(f"| W4 memory, {int(max(w4['sizes'], key=int)):,} nodes | peak RSS "
                     f"{big['engine_peak_rss_mb']:.0f} MB ({big['engine_rss_growth_kb_per_node']:.1f} KB/node) | "
                     f"{big['baseline_peak_rss_mb']:.0f} MB | | store {big['store_mb']:.1f} MB "
                     f"({big['store_kb_per_node']:.2f} KB/node) | | "
                     f"{_verdict(big['engine_rss_growth_kb_per_node'], t['w4_kb_per_node'], ' KB/node')} |")
    w5 = wl.get("W5")
    if w5:
        lines.append(f"| W5 submit() → first step started | {w5['engine_first_step_ms']:.1f} ms (cold process "
                     f"{w5['cold_first_step_ms']:.0f} ms) | {w5['baseline_first_step_ms']:.1f} ms | | | | "
                     f"{_verdict(w5['engine_first_step_ms'], t['w5_ms'], ' ms')} |")
        lines.append(f"| W5 fixed cost per run (1 step) | {w5['engine_one_step_s'] * 1000:.1f} ms | "
                     f"{w5['baseline_one_step_s'] * 1000:.1f} ms | | {w5['fixed_cost_ms']:.1f} ms | | "
                     f"{_verdict(w5['fixed_cost_ms'], t['fixed_ms'], ' ms')} |")
    w6 = wl.get("W6")
    if w6:
        lines.append(f"| W6 `import jupyter_flow` | {w6['import_ms']:.0f} ms over bare interpreter "
                     f"(importtime {w6['importtime_cumulative_ms']:.0f} ms) | | | | | "
                     f"{_verdict(w6['import_ms'], t['w6_ms'], ' ms')} |")
        ext = f"{w6['load_ext_ms']:.0f} ms" if w6.get("load_ext_ms") is not None else w6.get("load_ext_note")
        lines.append(f"| W6 `%load_ext jupyter_flow` | {ext} | | | | | "
                     f"{_verdict(w6.get('load_ext_ms'), t['w6_ms'], ' ms')} |")
    lines.append("| W7 widget (JupyterLab, headless Chromium) | *slot: measured by the notebook/lab engineers* "
                 "| | | | | first paint ≤ 2 s; ≥ 1,000 changes/s |")
    lines += ["", "Columns: *engine overhead* = (engine median − baseline median) / steps; *engine CPU / step* = "
              "user+sys CPU of the engine's own process (step processes excluded) per step, the part of the "
              "overhead that does not depend on how busy the machine is.", ""]
    prof = r.get("profile") or {}
    if prof:
        lines += ["## Where the time goes (cProfile of the engine thread, own time)", ""]
        for name, rows in prof.items():
            lines.append(f"**{name}**: " + "; ".join(f"`{x['function']}` {x['share'] * 100:.0f}%"
                                                     for x in rows[:8]))
            lines.append("")
    notes = r.get("notes")
    if notes:
        lines += ["## Notes", "", *notes, ""]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("results.json"))
    sys.stdout.write(render(json.loads(path.read_text())))
