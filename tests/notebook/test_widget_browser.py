"""The run widget in JupyterLab, in headless Chromium: live updates from the kernel's worker thread,
a click on a node opening its panel, log text staying text, and the Resume button.

It takes ~30-50 s (JupyterLab, Chromium, a kernel), so it runs in CI (``CI`` set) or with
``JUPYTER_FLOW_BROWSER_TESTS=1``, and is skipped when Chromium, Playwright or JupyterLab is
missing. Screenshots go to ``$JUPYTER_FLOW_SCREENSHOTS`` (default /tmp/jupyter-flow-screenshots).
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import ROOT

CHROMIUM = os.environ.get("JUPYTER_FLOW_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SHOTS = Path(os.environ.get("JUPYTER_FLOW_SCREENSHOTS", "/tmp/jupyter-flow-screenshots"))

# with --dist loadgroup (scripts/test.sh) browser tests share one worker: never two labs and Chromiums at once
pytestmark = [pytest.mark.xdist_group("jupyterlab-browser")]

WORKFLOW = """%%workflow
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: browser-
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: shout, template: shout}
    - - {name: approve, template: approve}
    - - {name: after, template: shout}
  - name: approve
    suspend: {}
  - name: shout
    script:
      image: python:3.11
      command: [python]
      source: |
        print('<img src=x onerror="window.__xss = 1"> & <b>not bold</b>')"""

# the page must answer the kernel's wait for the lab extension's DAG model (1 s here, 5 s by default),
# or the graph would become a picture (notebook/svg.py) while the test drives it
FIRST_CELL = "%load_ext jupyter_flow\nfrom jupyter_flow.notebook import widget\nwidget.FRONTEND_WAIT_S = 1.0"

CY = """() => {
    const area = document.querySelector('.jf-run-graph');
    if (!area) return null;
    const el = [area, ...area.querySelectorAll('*')].find(e => e._cyreg && e._cyreg.cy);
    if (!el) return null;
    const cy = el._cyreg.cy, box = el.getBoundingClientRect();
    return cy.nodes().map(n => ({id: n.id(), label: n.data('label'), classes: n.classes().join(' '),
        x: box.left + n.renderedPosition().x, y: box.top + n.renderedPosition().y}));
}"""


ZOOM = """() => {
    const area = document.querySelector('.jf-run-graph');
    const el = area && [area, ...area.querySelectorAll('*')].find(e => e._cyreg && e._cyreg.cy);
    return el ? el._cyreg.cy.zoom() : null;
}"""


def _missing() -> str | None:
    if not (os.environ.get("CI") or os.environ.get("JUPYTER_FLOW_BROWSER_TESTS")):
        return "slow browser test: set JUPYTER_FLOW_BROWSER_TESTS=1 (always on in CI)"
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not installed"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright not installed"
    if shutil.which("jupyter-lab") is None:
        return "jupyterlab not installed"
    return None


def _wait(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


@pytest.fixture
def lab(tmp_path, kernel_env):
    why = _missing()
    if why:
        pytest.skip(why)
    root, cfg = tmp_path / "root", tmp_path / "config"
    (cfg / "labconfig").mkdir(parents=True)
    root.mkdir()
    (cfg / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": src}
                    for src in (FIRST_CELL, WORKFLOW)],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    (root / "widget.ipynb").write_text(json.dumps(nb))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(cfg))
    build = ROOT / "jupyter_flow" / "labextension"
    if (build / "package.json").exists():
        # this checkout's build of the extension (`jlpm build`), not the copy pip put in the environment
        # (as tests/browser/test_lab.py): JUPYTER_PATH comes first, and the first jupyter-flow found wins
        ext = tmp_path / "jupyter-path" / "labextensions"
        ext.mkdir(parents=True)
        (ext / "jupyter-flow").symlink_to(build, target_is_directory=True)
        env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(tmp_path / "jupyter-path"), env.get("JUPYTER_PATH")) if p)
    log = open(tmp_path / "lab.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip", "127.0.0.1", "--port", str(port),
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--ServerApp.port_retries=0",
         f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}"],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root, start_new_session=True)
    url = f"http://127.0.0.1:{port}"

    def up():
        assert proc.poll() is None, (tmp_path / "lab.log").read_text()
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False
    try:
        _wait(up, 90)
        yield {"url": url, "token": token, "root": root}
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_widget_in_jupyterlab(lab, tmp_path):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(tmp_path / "chromium"), executable_path=CHROMIUM,
                                                   headless=True, args=ARGS, viewport={"width": 1400, "height": 1000})
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        console: list[str] = []
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        try:
            _drive(page, errors, lab)
        except BaseException:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "notebook-widget-failure.png"))
            (SHOTS / "notebook-widget-failure.txt").write_text(
                json.dumps({"graph": page.evaluate(CY), "errors": errors, "console": console}, indent=1))
            raise
        finally:
            ctx.close()


def _drive(page, errors, lab):
    page.goto(f"{lab['url']}/lab/tree/widget.ipynb?token={lab['token']}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_function("() => document.body.innerText.includes('Python 3 (ipykernel) | Idle')",
                           timeout=60_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

    # the header follows the run from the kernel's worker thread, after the cell has finished
    header = page.locator(".jf-run-header")
    header.wait_for(timeout=60_000)
    page.wait_for_function(f"() => {{ const n = ({CY})(); return n && n.length > 0; }}", timeout=60_000)
    first_zoom = page.evaluate(ZOOM)   # the run's first nodes: not blown up to fill the area
    assert first_zoom is not None and first_zoom <= 1.25 + 1e-6, first_zoom
    page.wait_for_function("() => (document.querySelector('.jf-run-header') || {}).innerText"
                           "?.includes('Suspended')", timeout=60_000)
    page.wait_for_function(f"() => {{ const n = ({CY})(); return n && n.some(x => x.label === 'approve'"
                           " && x.classes.includes('Suspended')); }", timeout=30_000)
    page.wait_for_timeout(500)  # let the dagre layout settle
    # a handful of nodes is fitted at a readable size, not zoomed until they fill the area (fitzoom.ts)
    zoom = page.evaluate(ZOOM)
    assert zoom is not None and zoom <= 1.25 + 1e-6, zoom
    nodes = page.evaluate(CY)
    shout = next(n for n in nodes if n["label"] == "shout")
    assert "Succeeded" in shout["classes"]
    page.mouse.click(shout["x"], shout["y"])
    panel = page.locator(".jf-node-panel")
    page.wait_for_function("() => (document.querySelector('.jf-node-panel') || {}).innerText"
                           "?.includes('not bold')", timeout=30_000)
    text = panel.inner_text()
    assert '<img src=x onerror="window.__xss = 1"> & <b>not bold</b>' in text   # shown as text
    assert panel.locator("img").count() == 0 and panel.locator("b", has_text="not bold").count() == 0
    assert page.evaluate("() => window.__xss") is None
    box = panel.bounding_box()
    graph_box = page.locator(".jf-run-graph").bounding_box()
    assert box["width"] > 200 and box["x"] >= graph_box["x"] + graph_box["width"] - 1   # beside the graph
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".jf-run-widget").scroll_into_view_if_needed()
    page.locator(".jf-run-widget").screenshot(path=str(SHOTS / "notebook-widget-suspended.png"))

    page.locator(".jf-run-widget button", has_text="Resume").click()
    page.wait_for_function(f"() => {{ const n = ({CY})(); return n && n.some(x => x.label === 'after'"
                           " && x.classes.includes('Succeeded')); }", timeout=30_000)
    page.wait_for_function("() => document.querySelector('.jf-run-header').innerText.includes('Succeeded')",
                           timeout=30_000)
    page.screenshot(path=str(SHOTS / "notebook-widget-succeeded.png"))
    # the page told the kernel it has the extension: no picture replaced the interactive graph
    assert page.locator(".jf-dag-svg").count() == 0 and page.evaluate(CY)
    assert not [e for e in errors if "cytoscape" in e.lower() or "widget" in e.lower()], errors
