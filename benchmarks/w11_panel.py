"""W11: the lab's Workflows panel over a store of 10,000 runs, in headless Chromium.

    python -m benchmarks.w11_panel                 # 10,000 runs, 5 page loads
    python -m benchmarks.w11_panel --runs 2000 --loads 2

A private store is seeded through the store's own writes (``Store.create_runs`` and ``Store.save``,
as a sweep and the engine write them): ``n`` runs over 30 days, every phase, labels, and one run of
``big_nodes`` Pod nodes (the summary must not read them). A private ``jupyter lab`` (random token,
free port, private config and workspace; this checkout's lab extension build when it has one) and
Debian's Chromium driven by Playwright open the lab with the Workflows panel showing.

Measured:

* **first paint**: from the click on the Workflows side-bar tab (a fresh page with a reset
  workspace, clicked once the lab shows its launcher) to the first animation frame in which the panel
  holds its first rows (``performance.now()`` in the page): the panel's attach, the first page
  request with its count, and the rows' DOM; also reported from the page's navigation start;
* **rows in the DOM**: how many ``.jf-RunRow`` elements exist after first paint (the list is
  virtualised: only rows in view are built);
* **filter**: from choosing a phase to the first frame showing only that phase; **scroll**: from
  scrolling to the middle of the list to the first frame whose rows are the ones at that offset;
* **REST**: the server's ``GET runs?offset=&limit=`` page and the summary of the big run, timed
  from Python over HTTP (median of 20).

Results go to ``benchmarks/w11_panel.json`` and ``benchmarks/W11_PANEL.md``.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("JUPYTER_FLOW_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
TARGETS = {"first_paint_s": 1.0}
PHASE_MIX = ["Succeeded"] * 6 + ["Failed", "Error", "Running", "Pending"]
TEAMS = ["vision", "nlp", "ops", "infra"]
BIG = "big-run"


def _workflow(name: str, team: str, i: int) -> dict:
    """A realistic stored Workflow (~1.5 KB): the panel must not pay for decoding it."""
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
        "metadata": {"name": name, "namespace": "default", "labels": {"team": team, "batch": str(i % 7)},
                     "creationTimestamp": None},
        "spec": {"entrypoint": "main", "arguments": {"parameters": [{"name": "seed", "value": str(i)}]},
                 "templates": [{"name": "main", "dag": {"tasks": [
                     {"name": f"t{k}", "template": "step", "dependencies": [f"t{k - 1}"] if k else []}
                     for k in range(8)]}},
                     {"name": "step", "container": {"image": "busybox", "command": ["sh", "-c"],
                                                    "args": ["echo " + "x" * 200]}}]},
    }


def seed_store(home: Path, n: int, *, big_nodes: int = 0, now: float | None = None) -> dict:
    """``n`` runs in the store at ``home``, created evenly over the 30 days before ``now`` (the last
    one newest), every phase (Running/Pending ones owned by this process, so they stay so); ``big_nodes`` > 0 adds the run ``big-run`` with that many Pod
    nodes. Returns ``{"names": [...oldest first], "phases": {name: phase}}``."""
    from jupyter_flow.store.db import Store
    store = Store(home)     # its own connection, closed at the end (not the process-wide one)
    now = time.time() if now is None else now
    span = 30 * 86400
    names, phases = [], {}
    rows = []
    for i in range(n):
        name = f"run-{i:05d}-{TEAMS[i % len(TEAMS)]}"
        names.append(name)
        phases[name] = PHASE_MIX[i % len(PHASE_MIX)]
        rows.append((name, _workflow(name, TEAMS[i % len(TEAMS)], i), str(uuid.uuid4())))
    store.create_runs(rows)

    def op(conn):
        vals = []
        for i, name in enumerate(names):
            created = now - span + span * (i + 1) / (n + 1)
            phase = phases[name]
            started = created + 1 if phase != "Pending" else None
            finished = created + 61 if phase in ("Succeeded", "Failed", "Error") else None
            iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created))
            status = {"phase": phase, "progress": "8/8" if finished else "3/8",
                      "startedAt": iso if started else None,
                      "finishedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(finished)) if finished else None}
            msg = "child 't3' failed" if phase in ("Failed", "Error") else ""
            # Running/Pending rows get this process's pid as owner: alive, so they stay as they are
            owner = os.getpid() if phase in ("Running", "Pending") else None
            vals.append((phase, msg, created, started, finished, json.dumps(status), owner,
                         json.dumps(dict(_workflow(name, TEAMS[i % len(TEAMS)], i),
                                         metadata={"name": name, "namespace": "default",
                                                   "labels": {"team": TEAMS[i % len(TEAMS)], "batch": str(i % 7)},
                                                   "creationTimestamp": iso})), name))
        conn.executemany("UPDATE runs SET phase=?, message=?, created_at=?, started_at=?, finished_at=?, status=?,"
                         " owner_pid=?, workflow=? WHERE name=?", vals)
    store._write(op)
    if big_nodes:
        store.create_run(BIG, _workflow(BIG, "infra", 0), uid=str(uuid.uuid4()))
        nodes = [{"id": f"{BIG}-{k}", "name": f"{BIG}[{k}]", "displayName": f"s{k}", "type": "Pod",
                  "phase": "Succeeded"} for k in range(big_nodes)]
        store.save(BIG, run_fields={"phase": "Succeeded", "started_at": now - 10, "finished_at": now - 5,
                                    "created_at": now - 11,
                                    "status": {"phase": "Succeeded", "progress": f"{big_nodes}/{big_nodes}"}}, nodes=nodes)
        names.append(BIG)
        phases[BIG] = "Succeeded"
    store.sync()
    store.close()
    return {"names": names, "phases": phases}


# -- the lab ---------------------------------------------------------------------------------------------------
def missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not installed (apt-get install chromium)"
    for mod in ("playwright", "jupyterlab"):
        try:
            __import__(mod)
        except ImportError:
            return f"{mod} not installed"
    return None


def start_lab(base: Path, home: Path) -> dict:
    """A private ``jupyter lab`` over ``home`` (own config, workspaces, no news pop-up)."""
    root, cfg, ws = base / "root", base / "config", base / "workspaces"
    for d in (root, cfg / "labconfig", ws):
        d.mkdir(parents=True, exist_ok=True)
    (cfg / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_FLOW_HOME=str(home), JUPYTER_CONFIG_DIR=str(cfg))
    build = ROOT / "jupyter_flow" / "labextension"
    if (build / "package.json").exists():
        ext = base / "jupyter-path" / "labextensions"
        ext.mkdir(parents=True, exist_ok=True)
        if not (ext / "jupyter-flow").exists():
            (ext / "jupyter-flow").symlink_to(build, target_is_directory=True)
        env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(base / "jupyter-path"), env.get("JUPYTER_PATH")) if p)
    log = open(base / "lab.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip", "127.0.0.1",
         "--port", str(port), f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--ServerApp.port_retries=0", f"--LabApp.workspaces_dir={ws}"],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError((base / "lab.log").read_text()[-4000:]) from None
            time.sleep(0.25)
    return {"url": url, "token": token, "proc": proc, "log": log, "base": base}


def stop_lab(lab: dict) -> None:
    proc = lab["proc"]
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    lab["log"].close()


OPEN_PANEL_JS = """() => new Promise((resolve, reject) => {
    const t0 = performance.now();
    const tab = document.querySelector(".jp-SideBar [data-id='jupyter-flow-runs']");
    // rows drawn in a panel that is shown (a hidden side-bar panel has no height); checked each frame
    const ready = () => document.querySelector('#jupyter-flow-runs .jf-RunRow')
        && document.querySelector('#jupyter-flow-runs .jf-RunsPanel-list').clientHeight > 0;
    const frame = () => {
        if (ready()) {
            resolve({click: t0, paint: performance.now(),
                rows: document.querySelectorAll('#jupyter-flow-runs .jf-RunRow').length,
                total: Number(document.querySelector('#jupyter-flow-runs').dataset.total)});
        } else if (performance.now() - t0 > 60000) {
            reject(new Error('no rows 60 s after the click'));
        } else {
            requestAnimationFrame(frame);
        }
    };
    // Lumino's tab bar selects on pointerdown (a bare click() does nothing): what a mouse sends
    const box = tab.getBoundingClientRect();
    const at = {bubbles: true, cancelable: true, button: 0, buttons: 1, clientX: box.x + 5, clientY: box.y + 5,
                pointerType: 'mouse', isPrimary: true};
    tab.dispatchEvent(new PointerEvent('pointerdown', at));
    tab.dispatchEvent(new PointerEvent('pointerup', {...at, buttons: 0}));
    tab.dispatchEvent(new MouseEvent('click', {...at, buttons: 0}));
    requestAnimationFrame(frame);
})"""


def measure_page(ctx, lab: dict, n_expected: int) -> dict:
    """One page load with a new workspace (the panel closed); once the lab is laid out (its
    launcher shown) the Workflows tab is clicked, and the first frame holding the panel's rows is timed."""
    page = ctx.new_page()
    try:
        # a workspace of its own (new: the default layout, the panel closed); `?reset` reloads the page
        page.goto(f"{lab['url']}/lab/workspaces/w11-{secrets.token_hex(4)}?token={lab['token']}")
        page.wait_for_selector(".jp-SideBar [data-id='jupyter-flow-runs']", timeout=60_000)
        page.wait_for_selector(".jp-Launcher", timeout=60_000)   # the reset workspace is laid out
        page.wait_for_timeout(500)
        panel = page.locator("#jupyter-flow-runs")
        if panel.is_visible():     # restored open after all: close it, so the click opens it
            page.locator(".jp-SideBar [data-id='jupyter-flow-runs']").click()
            panel.wait_for(state="hidden", timeout=10_000)
        first = page.evaluate(OPEN_PANEL_JS)
        assert first["total"] == n_expected, first
        # filter: Failed only
        filter_ms = page.evaluate("""() => new Promise((resolve, reject) => {
            setTimeout(() => reject(new Error('filter not drawn in 60 s')), 60000);
            const panel = document.querySelector('#jupyter-flow-runs');
            const sel = panel.querySelector('.jf-RunsPanel-filter');
            const t0 = performance.now();
            const ok = () => { const rows = [...panel.querySelectorAll('.jf-RunRow')];
                return rows.length && rows.every(r => r.dataset.phase === 'Failed'); };
            new MutationObserver((_, o) => { if (ok()) { o.disconnect();
                requestAnimationFrame(() => resolve(performance.now() - t0)); } })
                .observe(panel, {childList: true, subtree: true, attributes: true});
            sel.value = 'Failed'; sel.dispatchEvent(new Event('change'));
        })""")
        page.evaluate("""() => { const sel = document.querySelector('#jupyter-flow-runs .jf-RunsPanel-filter');
            sel.value = ''; sel.dispatchEvent(new Event('change')); }""")
        page.wait_for_function("n => Number(document.querySelector('#jupyter-flow-runs').dataset.total) === n"
                               " && !document.querySelector('#jupyter-flow-runs .jf-RunRow-loading')",
                               arg=n_expected)
        scroll = page.evaluate("""(n) => new Promise((resolve, reject) => {
            setTimeout(() => reject(new Error('scroll not drawn in 60 s')), 60000);
            const panel = document.querySelector('#jupyter-flow-runs');
            const list = panel.querySelector('.jf-RunsPanel-list');
            const h = Number(list.dataset.rowHeight);
            const target = Math.floor(n / 2);
            const t0 = performance.now();
            const ok = () => [...panel.querySelectorAll('.jf-RunRow')].some(r => Number(r.dataset.index) === target);
            list.scrollTop = target * h;
            const frame = () => ok() ? resolve({ms: performance.now() - t0,
                rows: panel.querySelectorAll('.jf-RunRow').length}) : requestAnimationFrame(frame);
            requestAnimationFrame(frame);
        })""", n_expected)
        return {"first_paint_s": (first["paint"] - first["click"]) / 1000, "rows_in_dom": first["rows"],
                "since_navigation_s": first["paint"] / 1000, "filter_ms": filter_ms, "scroll_ms": scroll["ms"],
                "rows_after_scroll": scroll["rows"]}
    finally:
        page.close()


def rest_times(lab: dict, reps: int = 20) -> dict:
    def get(path):
        req = urllib.request.Request(f"{lab['url']}/jupyter-flow/api/{path}",
                                     headers={"Authorization": f"token {lab['token']}"})
        t0 = time.perf_counter()
        with urllib.request.urlopen(req, timeout=30) as r:
            body = json.loads(r.read())
        return time.perf_counter() - t0, body
    out = {}
    for key, path in (("page_ms", "runs?offset=0&limit=60"), ("page_middle_ms", "runs?offset=5000&limit=60"),
                      ("label_filter_ms", "runs?label=team%3Dnlp&limit=60"),
                      ("big_run_summary_ms", f"runs?prefix={BIG}&limit=1"),
                      ("all_summaries_ms", "runs")):
        times = [get(path)[0] for _ in range(reps if key != "all_summaries_ms" else 3)]
        out[key] = round(statistics.median(times) * 1000, 1)
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--loads", type=int, default=5)
    ap.add_argument("--big-nodes", type=int, default=20_000)
    ap.add_argument("--out", default=str(ROOT / "benchmarks"))
    a = ap.parse_args(argv)
    why = missing()
    if why:
        raise SystemExit(f"W11 cannot run: {why}")
    from playwright.sync_api import sync_playwright
    base = Path(tempfile.mkdtemp(prefix="w11-"))
    home = base / "home"
    t0 = time.perf_counter()
    seed_store(home, a.runs, big_nodes=a.big_nodes)
    seed_s = time.perf_counter() - t0
    n_total = a.runs + (1 if a.big_nodes else 0)
    lab = start_lab(base, home)
    loads = []
    try:
        rest = rest_times(lab)
        with sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(str(base / "chromium"), executable_path=CHROMIUM,
                                                       headless=True, args=ARGS,
                                                       viewport={"width": 1400, "height": 900})
            try:
                measure_page(ctx, lab, n_total)   # warm-up: the browser's and the server's caches
                for _ in range(a.loads):
                    loads.append(measure_page(ctx, lab, n_total))
            finally:
                ctx.close()
    finally:
        stop_lab(lab)
        shutil.rmtree(base, ignore_errors=True)
    fp = [x["first_paint_s"] for x in loads]
    result = {
        "workload": {"runs": n_total, "big_run_nodes": a.big_nodes, "loads": a.loads, "seed_s": round(seed_s, 2)},
        "first_paint_s": {"median": round(statistics.median(fp), 3), "min": round(min(fp), 3),
                          "max": round(max(fp), 3)},
        "rows_in_dom": max(x["rows_in_dom"] for x in loads),
        "filter_ms": round(statistics.median(x["filter_ms"] for x in loads), 1),
        "scroll_ms": round(statistics.median(x["scroll_ms"] for x in loads), 1),
        "rows_after_scroll": max(x["rows_after_scroll"] for x in loads),
        "since_navigation_s": round(statistics.median(x["since_navigation_s"] for x in loads), 3),
        "rest": rest,
        "targets": TARGETS,
        "met": statistics.median(fp) <= TARGETS["first_paint_s"],
        "machine": {"cpus": os.cpu_count(), "loadavg": [round(v, 2) for v in os.getloadavg()]},
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "loads_raw": loads,
    }
    out = Path(a.out)
    (out / "w11_panel.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "W11_PANEL.md").write_text(report(result))
    print(report(result))
    return result


def report(r: dict) -> str:
    fp = r["first_paint_s"]
    rest = r["rest"]
    return "\n".join([
        "# W11: the lab's Workflows panel over a 10,000-run store",
        "",
        f"Measured {r['when']} on {r['machine']['cpus']} cores (load average {r['machine']['loadavg']}), "
        f"{r['workload']['runs']} runs (one of them {r['workload']['big_run_nodes']} nodes), "
        f"{r['workload']['loads']} page loads after a warm-up, real JupyterLab + headless Chromium "
        "(`python -m benchmarks.w11_panel`).",
        "",
        "| measure | value | target |",
        "| --- | --- | --- |",
        f"| panel first paint: Workflows tab clicked to its first rows drawn (median; min-max) | {fp['median']} s "
        f"({fp['min']}-{fp['max']}) | <= {r['targets']['first_paint_s']} s ({'met' if r['met'] else 'missed'}) |",
        f"| rows in the DOM at first paint / after scrolling | {r['rows_in_dom']} / {r['rows_after_scroll']} "
        f"| only the rows in view |",
        f"| phase filter to first filtered frame (median) | {r['filter_ms']} ms | |",
        f"| scroll to the middle to its rows drawn (median) | {r['scroll_ms']} ms | |",
        f"| rows drawn, from the page's navigation start (median; the tab clicked once the lab is laid out) "
        f"| {r['since_navigation_s']} s | |",
        f"| REST page of 60 (first / middle / label filter) | {rest['page_ms']} / {rest['page_middle_ms']} / "
        f"{rest['label_filter_ms']} ms | |",
        f"| REST summary of the {r['workload']['big_run_nodes']}-node run | {rest['big_run_summary_ms']} ms "
        f"| <= 50 ms |",
        f"| REST all {r['workload']['runs']} summaries in one answer | {rest['all_summaries_ms']} ms | |",
        "",
    ])


if __name__ == "__main__":
    main()
