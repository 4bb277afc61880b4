"""results.json -> RESULTS.md (a Markdown table plus notes)."""
from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

from benchmarks.stats import ratio_interval, ratio_verdict


def _verdict(value: float | None, target: float, unit: str = "") -> str:
    if value is None:
        return "—"
    if value <= target:
        return f"met (≤ {target:g}{unit})"
    return f"**missed** by {value - target:.2f}{unit} ({value / target:.1f}× the target)"


def _interval(w: dict) -> list[float] | None:
    """The run's interval; for a results file written before intervals, computed from its timings."""
    if w.get("ratio_ci95"):
        return w["ratio_ci95"]
    e, b = w.get("engine_s_all"), w.get("baseline_s_all")
    return list(ratio_interval(e, b)) if e and b and len(e) == len(b) else None


def _ratio_verdict(w: dict, target: float) -> str:
    """W1-W3: judged on the 95% interval of the ratio (``benchmarks.stats``) when the run has one."""
    ci = _interval(w)
    verdict = ratio_verdict(w["ratio"], ci, target)
    if verdict == "met":
        return f"met (≤ {target:g}×{', whole interval' if ci else ''})"
    if verdict == "undecided":
        return f"**undecided**: the 95% interval {ci[0]:.2f}–{ci[1]:.2f}× holds the {target:g}× target"
    return _verdict(w["ratio"], target, "×") + ("; the whole 95% interval is over it" if ci else "")


def _w7_rows(w7: dict | None, t: dict) -> list[str]:
    label = "W7 widget (JupyterLab, headless Chromium)"
    if not w7:
        return []
    if w7.get("status") != "measured":
        why = w7.get("reason") or w7.get("status") or "not measured"
        return [f"| {label} | {w7.get('status', 'not measured')}: {why} | | | | | first paint ≤ 2 s; final state ≤ 1 s "
                f"after the last change; ≤ 10 updates/s |"]
    n, reps = w7["nodes"], w7["reps"]
    tp, tf, tu = (t.get("w7_first_paint_s", 2.0), t.get("w7_final_state_s", 1.0), t.get("w7_updates_per_s", 10.0))
    burst = statistics.median(r["burst_s"] for r in w7["runs"])
    msg_rate = w7["messages"] / burst if burst else 0.0
    rows = [
        f"| W7 first paint, {n:,}-node DAG | {w7['first_paint_s']:.2f} s (median of {reps} displays; first "
        f"display in a fresh page {w7['first_paint_cold_s']:.2f} s, worst {w7['first_paint_max_s']:.2f} s) | | | "
        f"kernel cell {w7['kernel_cell_s']:.2f} s | | {_verdict(w7['first_paint_s'], tp, ' s')} |",
        f"| W7 {n:,} phase changes in {burst:.1f} s → browser | final state drawn {w7['final_state_s']:.2f} s after "
        f"the last change (worst {w7['final_state_max_s']:.2f} s) | | | | | {_verdict(w7['final_state_s'], tf, ' s')} |",
    ]
    if w7.get("graph_messages_per_s") is not None:     # one model for the whole DAG
        rows.append(
            f"| W7 widget updates sent during the burst | {w7['flushes_per_s']:.1f} flushes/s ({w7['flushes']:.0f} "
            f"batches); {w7['graph_messages']:.0f} graph messages ({w7['graph_messages_per_s']:.1f}/s: one patch "
            f"per flush for all changed nodes); {w7['messages']:.0f} widget messages in all ({msg_rate:.0f}/s, with "
            f"the header's progress) | | | | | {_verdict(w7['graph_messages_per_s'], tu, '/s')} |")
    else:                                               # ipycytoscape: a model per node
        rows.append(
            f"| W7 widget updates sent during the burst | {w7['flushes_per_s']:.1f} flushes/s ({w7['flushes']:.0f} "
            f"batches); {w7['messages']:.0f} widget messages ({msg_rate:.0f}/s: one per changed node) | | | | | "
            f"batches {_verdict(w7['flushes_per_s'], tu, '/s')}; messages {_verdict(msg_rate, tu, '/s')} |")
    return rows


def _w6_w7_details(w6: dict | None, w7: dict | None) -> list[str]:
    lines: list[str] = []
    if w6 and w6.get("load_ext_ms") is not None:
        top = ", ".join(f"`{x['module']}` {x['self_ms']:.1f} ms" for x in w6.get("load_ext_importtime_top") or [])
        lines += ["## W6 details", "",
                  f"Each repetition starts fresh interpreters in alternating order: bare, `import jupyter_flow`, an "
                  f"IPython `InteractiveShell`, and the same shell plus `%load_ext jupyter_flow`; the import and the "
                  f"magic are timed inside the child, so interpreter start-up and IPython's own import "
                  f"({w6['ipython_shell_s']:.2f} s of process wall time here) stay out of the number. "
                  f"`import jupyter_flow`: {', '.join(f'{x:.1f}' for x in w6['import_ms_all'])} ms; "
                  f"`%load_ext`: {', '.join(f'{x:.1f}' for x in w6['load_ext_ms_all'])} ms. Cross-check, whole-process "
                  f"wall medians with minus without: import {w6['import_wall_delta_ms']:.0f} ms, `%load_ext` "
                  f"{w6['load_ext_wall_delta_ms']:.0f} ms (this difference of two ~1 s process times is what "
                  f"earlier runs reported, and swings by ±100 ms on this shared machine). `%load_ext` loads "
                  f"{len(w6['load_ext_new_modules'])} modules ({', '.join(w6['load_ext_new_modules'])})"
                  + (f"; own import time by `-X importtime`: {top}" if top else "") + ".", ""]
    if w7 and w7.get("status") == "measured":
        lines += ["## W7 details", "",
                  f"A private `jupyter lab` and Debian's Chromium (Playwright, headless); the notebook's cells are run "
                  f"with Shift+Enter. The run is a real engine `Controller` that never runs ({w7['nodes']:,} Pod nodes "
                  f"under a DAG node, layers of {w7['width']}), displayed as a `%%workflow` cell's result is "
                  f"(`display(run)`); a kernel thread then emits one phase change per node through `Controller.emit`, "
                  f"paced over {w7['changes_s']:g} s. First paint = Shift+Enter keydown → first cytoscape `render` "
                  f"frame holding every node; final state = the kernel's last `emit` → first frame with every Pod "
                  f"Succeeded (one host clock). Widget messages are counted at the kernel session (comm open/msg).",
                  "",
                  "| display | first paint | kernel cell | models opened | kernel's last message | page's last message "
                  "| browser long tasks (paint) | flushes | messages | final state after last change | page's last "
                  "message after last change | browser long tasks (burst) | kernel CPU (burst) |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]

        def sec(v):
            return "—" if v is None else f"{v:.2f} s"
        for i, r in enumerate(w7["runs"]):
            lines.append(f"| {i}{' (cold)' if i == 0 else ''} | {r['first_paint_s']:.2f} s | {r['kernel_cell_s']:.2f} s | "
                         f"{r['models_opened']} | {sec(r.get('kernel_last_send_s'))} | "
                         f"{sec(r.get('page_last_ws_message_s'))} | {r['browser_long_tasks_paint_s']:.2f} s | "
                         f"{r['flushes']} | {r['messages']} | {r['final_state_s']:.2f} s | "
                         f"{sec(r.get('page_last_ws_message_after_last_emit_s'))} | "
                         f"{r['browser_long_tasks_burst_s']:.2f} s | {r['kernel_cpu_s']:.2f} s |")
        lines += ["", "Times in the first-paint columns count from the Shift+Enter keydown; *page's last message* is "
                  "when the page's main thread got the last websocket message of the cell (or of the burst)."]
        if w7.get("load_at_start") is not None:
            lines += ["", f"Load average when W7 started: {w7['load_at_start']}."]
        for key, what in (("browser_profile_paint", "first paint"), ("browser_profile_burst", "phase-change burst")):
            prof = w7.get(key)
            if prof:
                lines += ["", f"Browser CPU profile of the last display's {what} (self time, sampled): "
                          + "; ".join(f"`{x['function'].split('?')[0]}` {x['ms']:.0f} ms" for x in prof[:8]) + "."]
        for note in w7.get("notes") or []:
            lines += ["", note]
        lines.append("")
    return lines


def render(r: dict) -> str:
    m, wl, t = r["machine"], r["workloads"], r["targets"]
    lines = [
        "# jupyter-flow benchmark results",
        "",
        f"Date: {r['date']}. Machine: {m['cpus']} CPUs ({m['cpu']}), {m['mem_gb']} GB, Linux {m['kernel']}, "
        f"Python {m['python']}; load average at start {m['loadavg_at_start']}.",
        "Produced by `python -m benchmarks` (workloads: `shared/design/benchmarks.md`). Engine = "
        "`jupyter_flow.submit(<YAML>, wait=True)` with default settings; baseline = "
        "`ThreadPoolExecutor(max_workers=2)` running the same processes, interleaved in the same run; medians. "
        "W1-W3: the ratio of the medians with its 95% bootstrap interval in square brackets (pairs of "
        "repetitions resampled: `benchmarks/stats.py`), judged by the interval (met only when all of it is at "
        "or under the target), and in round brackets the median of the paired ratios (each engine repetition "
        "over the baseline repetition beside it).",
        "",
        "| workload | jupyter-flow | baseline | ratio | engine overhead | engine CPU / step | target |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, label in (("W1", "W1 chain (50 steps)"), ("W2", "W2 fan-out (200 + join, parallelism 2)"),
                       ("W3", "W3 diamond ×10 (one document, validated once)"),
                       ("W3 uncached", "W3 diamond ×10, every document validated")):
        w = wl.get(key)
        if not w:
            continue
        verdict = _ratio_verdict(w, t['ratio']) if key != "W3 uncached" else "— (for comparison)"
        pairs = f" ({w['ratio_median_of_pairs']:.2f}×, {w['reps']} pairs)" if "ratio_median_of_pairs" in w else ""
        ci = _interval(w)
        interval = f" [{ci[0]:.2f}–{ci[1]:.2f}]" if ci else ""
        lines.append(f"| {label} | {w['engine_s']:.3f} s | {w['baseline_s']:.3f} s | {w['ratio']:.2f}×{interval}{pairs} | "
                     f"{w['overhead_ms_per_step']:.2f} ms/step | {w['engine_cpu_ms_per_step']:.2f} ms "
                     f"(baseline {w['baseline_cpu_ms_per_step']:.2f}) | {verdict} |")
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
        lines.append(f"| W6 `import jupyter_flow` | {w6['import_ms']:.1f} ms in a fresh interpreter (median of "
                     f"{w6['reps']}; importtime {w6['importtime_cumulative_ms']:.0f} ms) | | | | | "
                     f"{_verdict(w6['import_ms'], t['w6_ms'], ' ms')} |")
        if w6.get("load_ext_ms") is not None:
            ext = (f"{w6['load_ext_ms']:.1f} ms in a fresh IPython shell (median of {w6['reps']}; "
                   f"{len(w6.get('load_ext_new_modules') or [])} modules loaded)")
        else:
            ext = w6.get("load_ext_note") or "—"
        lines.append(f"| W6 `%load_ext jupyter_flow` | {ext} | | | | | "
                     f"{_verdict(w6.get('load_ext_ms'), t['w6_ms'], ' ms')} |")
    lines += _w7_rows(wl.get("W7"), t)
    from benchmarks.w8_sweep import rows as w8_rows
    lines += w8_rows(wl.get("W8"))
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
    lines += _w6_w7_details(wl.get("W6"), wl.get("W7"))
    from benchmarks.w8_sweep import details as w8_details
    lines += w8_details(wl.get("W8"))
    notes = r.get("notes")
    if notes:
        lines += ["## Notes", "", *notes, ""]
    analysis = Path(__file__).with_name("ANALYSIS.md")   # the engineers' analysis, kept across runs
    if analysis.exists() and not r.get("smoke"):
        lines += [analysis.read_text().rstrip(), ""]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("results.json"))
    sys.stdout.write(render(json.loads(path.read_text())))
