"""Hostile artifacts shown in a real JupyterLab page, in headless Chromium: no script runs, nothing is fetched.

A real ``jupyter lab`` (random token, free port, private config, state and jupyter-flow home), a real
kernel running a notebook that submits ``hostile_previews.workflow`` and shows the run widget with the
step's node panel open (its previews: two notebooks, HTML, SVG, Markdown, a fake and a real PNG), then
the lab extension's run view of the same run with its node panel. Every payload would set
``window.__pwned``, fetch the beacon (a local HTTP server started here) and write ``pwned-*.txt``
through the Contents API with the page's XSRF cookie, as in issue 16. The test asserts none of that
happened, after every ``<img>`` in the panel has finished loading and a control request made after the
previews has reached the beacon (so the beacon was listening and earlier loads had their chance).
"""
from __future__ import annotations

import http.server
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from tests.security import hostile_previews as H
from tests.server.helpers import wait_for

CHROMIUM = os.environ.get("JUPYTER_FLOW_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("JUPYTER_FLOW_SCREENSHOTS", "/tmp/jupyter-flow-screenshots"))

pytestmark = [pytest.mark.xdist_group("jupyterlab-browser")]

CELLS = [
    # answer the kernel's wait for the lab extension's DAG model quickly (see tests/notebook/test_widget_browser.py)
    "%load_ext jupyter_flow\nfrom jupyter_flow.notebook import widget\nwidget.FRONTEND_WAIT_S = 1.0",
    "import jupyter_flow\nfrom jupyter_flow.notebook import run_widget\n"
    "run = jupyter_flow.submit(open('hostile.yaml').read(), wait=True)\n"
    "run_widget(run).select(run.name)\nprint('RUN', run.name, run.phase)\nrun",
]
SHOWN = ["visible-nb-html", "visible-sniffed-html", "visible-html", "visible-md", "visible-fakepng", "bold-nb-md"]


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not installed (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright not installed"
    if shutil.which("jupyter-lab") is None:
        return "jupyterlab not installed"
    return None


class _Beacon(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        self.hits: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                outer.hits.append(self.path)
                self.send_response(204)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()

            do_GET = do_POST = do_PUT = do_OPTIONS = _answer

            def log_message(self, *args):
                pass
        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture
def beacon():
    server = _Beacon()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/beacon"
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def lab(tmp_path, beacon):
    why = _missing()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run in CI: {why}")
        pytest.skip(why)
    root, home, cfg = tmp_path / "root", tmp_path / "flow-home", tmp_path / "config"
    for d in (root, home, cfg / "labconfig"):
        d.mkdir(parents=True)
    (cfg / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    (root / "hostile.yaml").write_text(H.workflow(beacon.url))
    (root / "hostile.ipynb").write_text(json.dumps({
        "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": src}
                  for src in CELLS],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5}))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(16)
    old = os.environ.get("PYTHONPATH")
    env = dict(os.environ, JUPYTER_FLOW_HOME=str(home), JUPYTER_CONFIG_DIR=str(cfg),
               PYTHONPATH=str(ROOT) + (os.pathsep + old if old else ""), PYDEVD_DISABLE_FILE_VALIDATION="1")
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
        wait_for(up, timeout=90, interval=0.25)
        yield {"url": url, "token": token, "root": root, "home": home}
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


def _settled_and_clean(page, beacon, lab, scope: str, control: str) -> None:
    """Wait until every image in ``scope`` has loaded or failed, then until a control request made
    now reaches the beacon; then nothing hostile may have run or been fetched."""
    page.wait_for_function(f"() => [...document.querySelectorAll({scope!r} + ' img')].every(i => i.complete)",
                           timeout=15_000)
    page.evaluate("(u) => { const i = new Image(); i.src = u; }", f"{beacon.url}/{control}")
    wait_for(lambda: f"/beacon/{control}" in beacon.hits, timeout=15, interval=0.05)
    page.wait_for_timeout(300)   # a handler queued behind the control would have run by now
    assert [h for h in beacon.hits if not h.startswith("/beacon/control")] == [], beacon.hits
    assert page.evaluate("() => window.__pwned") is None
    assert list(lab["root"].rglob("pwned*")) == []           # nothing written through the Contents API


def test_hostile_artifacts_stay_inert_in_the_widget_and_the_lab_run_view(lab, beacon, tmp_path):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(tmp_path / "chromium"), executable_path=CHROMIUM,
                                                   headless=True, args=ARGS, viewport={"width": 1400, "height": 1000},
                                                   accept_downloads=True)
        page = ctx.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        try:
            _drive(page, lab, beacon)
            assert dialogs == []
        except BaseException:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "previews-failure.png"))
            raise
        finally:
            ctx.close()


def _drive(page, lab, beacon) -> None:
    page.goto(f"{lab['url']}/lab/tree/hostile.ipynb?token={lab['token']}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_function("() => document.body.innerText.includes('Python 3 (ipykernel) | Idle')", timeout=60_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

    # the run widget with the step's node panel open: every artifact previewed, nothing ran or loaded
    shown = "(words) => { const p = document.querySelector('.jf-node-panel');" \
            " return p && words.every(w => p.innerText.includes(w)); }"
    heads = [f"artifact {path.rsplit('/', 1)[1].replace('.', '-')}" for path in H.artifacts(beacon.url)]
    page.wait_for_function(shown, arg=heads + ["visible-html"], timeout=90_000)
    page.wait_for_timeout(500)   # outputs render asynchronously; the check at the very end covers late ones too
    panel = page.locator(".jf-node-panel")
    _settled_and_clean(page, beacon, lab, ".jf-node-panel", "control-widget")
    page.wait_for_function(shown, arg=SHOWN, timeout=15_000)
    # script types dropped for their text; the SVGs and the PNGs drawn as pictures; nothing else became an
    # element that loads or runs, nor an output area (JupyterLab renders those trusted)
    assert "visible-nb-js-fallback" in panel.inner_text()
    images = panel.locator("img").evaluate_all(
        "els => els.map(i => ({src: i.getAttribute('src').slice(0, 26), w: i.naturalWidth}))")
    assert sum(i["src"].startswith("data:image/svg+xml") for i in images) == 3, images   # file + 2 notebooks
    assert len(images) == 6 and all(i["w"] > 0 for i in images), images                  # + 3 PNGs
    assert panel.locator("script, iframe, object, embed, svg, style, link, form, .jp-OutputArea").count() == 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    panel.screenshot(path=str(SHOTS / "previews-widget-panel.png"))

    # the lab extension's run view of the same run: artifacts are download links, never rendered
    m = re.search(r"RUN (hostile-\S+) Succeeded", page.locator(".jp-Notebook").inner_text())
    assert m, page.locator(".jp-Notebook").inner_text()[:2000]
    name = m.group(1)
    _open_run_view(page, name)
    side = page.locator(f"#jupyter-flow-run-{name} .jf-NodePanel")
    links = side.locator(".jf-NodePanel-artifacts a")
    links.first.wait_for(timeout=15_000)
    assert links.count() == len(H.artifacts(beacon.url))
    assert side.locator("img, script, iframe, object, embed, svg").count() == 0
    html_link = side.locator(".jf-NodePanel-artifacts a", has_text="page-html")
    with page.expect_download() as download:
        html_link.click()
    assert download.value.suggested_filename        # a download, not a page rendering the HTML
    _settled_and_clean(page, beacon, lab, f"#jupyter-flow-run-{name}", "control-lab")


def _open_run_view(page, name: str) -> None:
    tab = page.locator(".jp-SideBar [data-id='jupyter-flow-runs']").first
    panel = page.locator("#jupyter-flow-runs")
    for _ in range(5):
        if panel.is_visible():
            break
        tab.click()
        page.wait_for_timeout(500)
    row = page.locator(f"#jupyter-flow-runs .jf-RunRow[data-name='{name}']")
    row.wait_for(timeout=15_000)
    row.locator(".jf-RunRow-name").click()
    view = page.locator(f".jf-RunView[id='jupyter-flow-run-{name}']")
    view.locator(".jf-RunView-graph canvas").first.wait_for(timeout=15_000)
    js = """(id) => { const el = document.getElementById(id).querySelector('.jf-RunView-graph');
        const cy = el && el._cyreg && el._cyreg.cy; if (!cy || !cy.nodes().length) return null;
        const box = el.getBoundingClientRect(), n = cy.nodes()[0];
        return {x: box.left + n.renderedPosition().x, y: box.top + n.renderedPosition().y}; }"""
    page.wait_for_function(js, arg=f"jupyter-flow-run-{name}", timeout=15_000)
    page.wait_for_timeout(300)   # let the layout settle
    pos = page.evaluate(js, f"jupyter-flow-run-{name}")
    page.mouse.click(pos["x"], pos["y"])
    view.locator(".jf-NodePanel-table").wait_for(timeout=10_000)
