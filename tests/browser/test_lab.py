"""JupyterLab in headless Chromium: the Workflows panel, the DAG view, node logs, Submit, lint
dialog, %%workflow highlighting, and log text that must never become HTML.

A real ``jupyter lab`` (random token, free port, private config and state) and Debian's
Chromium driven by Playwright; no browser download. Screenshots go to
``$JUPYTER_FLOW_SCREENSHOTS`` (default: /tmp/jupyter-flow-screenshots).
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.server.helpers import APPROVE, ARTIFACT, FAIL, HELLO, SLEEP, TYPO, XSS, wait_for

CHROMIUM = os.environ.get("JUPYTER_FLOW_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("JUPYTER_FLOW_SCREENSHOTS", "/tmp/jupyter-flow-screenshots"))

pytestmark = [pytest.mark.xdist_group("jupyterlab-browser")]


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not installed (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright not installed"
    if shutil.which("jupyter-lab") is None:
        return "jupyterlab not installed"
    from jupyter_core.paths import jupyter_path
    if not any((Path(d) / "jupyter-flow" / "package.json").exists() for d in jupyter_path("labextensions")):
        return "the jupyter-flow lab extension is not installed (pip install -e .)"
    return None


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    why = _missing()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run in CI: {why}")
        pytest.skip(why)
    base = tmp_path_factory.mktemp("lab")
    root, home, cfg = base / "root", base / "flow-home", base / "config"
    for d in (root, home, cfg / "labconfig"):
        d.mkdir(parents=True)
    # no news pop-up, no restored workspace
    (cfg / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    shutil.copy(ROOT / "examples" / "dag-diamond.yaml", root / "diamond.yaml")
    (root / "hello.yaml").write_text(HELLO)
    (root / "typo.yaml").write_text(TYPO)
    (root / "cell.ipynb").write_text(json.dumps({
        "cells": [
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
             "source": "%%workflow\n" + HELLO},
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
             "source": "print('plain python')"},
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5}))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_FLOW_HOME=str(home), JUPYTER_CONFIG_DIR=str(cfg))
    build = ROOT / "jupyter_flow" / "labextension"
    if (build / "package.json").exists():
        # this checkout's build of the extension (`jlpm build`), not the copy pip put in the environment:
        # JUPYTER_PATH comes first in the lab's search path, and the first jupyter-flow found wins
        ext = base / "jupyter-path" / "labextensions"
        ext.mkdir(parents=True)
        (ext / "jupyter-flow").symlink_to(build, target_is_directory=True)
        env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(base / "jupyter-path"), env.get("JUPYTER_PATH")) if p)
    log = open(base / "lab.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip", "127.0.0.1",
         "--port", str(port), f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--ServerApp.port_retries=0", f"--LabApp.workspaces_dir={base / 'workspaces'}"],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root, start_new_session=True)
    url = f"http://127.0.0.1:{port}"

    def up():
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                return r.status == 200
        except OSError:
            assert proc.poll() is None, (base / "lab.log").read_text()
            return False
    wait_for(up, timeout=90, interval=0.25)
    info = {"url": url, "token": token, "root": root, "home": home, "env": env, "base": base, "background": []}
    yield info
    for p in info["background"]:
        if p.poll() is None:
            p.kill()
        p.wait(10)
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser(lab, tmp_path_factory):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium")), executable_path=CHROMIUM, headless=True, args=ARGS,
            viewport={"width": 1400, "height": 900})
        yield ctx
        ctx.close()


@pytest.fixture
def page(lab, browser):
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append(f"unexpected dialog: {d.message}"), d.dismiss()))
    page.goto(f"{lab['url']}/lab?token={lab['token']}")
    page.wait_for_selector("#jupyter-flow-runs, .jp-SideBar [data-id='jupyter-flow-runs']", state="attached",
                           timeout=60_000)
    page.errors = errors
    yield page
    page.close()


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def cli(lab, *args: str, timeout: float = 60, check: bool = True) -> str:
    out = subprocess.run([sys.executable, "-m", "jupyter_flow.cli", *args], capture_output=True, text=True,
                         env=lab["env"], cwd=lab["root"], timeout=timeout)
    assert out.returncode == 0 or not check, out.stderr
    return out.stdout


def cli_submit(lab, text: str, fname: str, wait: bool = True) -> str:
    """``jupyter-flow submit FILE --wait``; with ``wait=False`` the CLI keeps running (and owning
    the run) in the background while the test goes on."""
    path = lab["root"] / fname
    path.write_text(text)
    name = f"{path.stem}-{secrets.token_hex(3)}"
    cmd = [sys.executable, "-m", "jupyter_flow.cli", "submit", str(path), "--name", name, "--wait", "-o", "name"]
    if wait:
        out = subprocess.run(cmd, capture_output=True, text=True, env=lab["env"], cwd=lab["root"], timeout=60)
        assert out.stdout.strip() == name or out.returncode == 1, out.stderr
    else:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=lab["env"],
                                cwd=lab["root"])
        lab["background"].append(proc)
    return name


def _show_sidebar_panel(page, panel_id: str, attempts: int = 5) -> None:
    """Show a left-sidebar panel. Clicking a sidebar tab toggles it, and the visibility read
    before the click can be stale while Lab restores or re-lays out the shell, so check again
    after each click instead of trusting a single check-then-click."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    panel = page.locator(f"#{panel_id}")
    for _ in range(attempts):
        if panel.is_visible():
            return
        page.locator(f".jp-SideBar [data-id='{panel_id}']").first.click()
        try:
            panel.wait_for(state="visible", timeout=3_000)
            return
        except PlaywrightTimeout:  # toggled closed by a click that raced a re-layout: click again
            continue
    panel.wait_for(state="visible", timeout=15_000)


def open_panel(page):
    _show_sidebar_panel(page, "jupyter-flow-runs")


def open_filebrowser(page):
    _show_sidebar_panel(page, "filebrowser")


def file_item(page, filename: str):
    open_filebrowser(page)
    item = page.locator(".jp-DirListing-item",
                        has=page.locator(".jp-DirListing-itemText", has_text=re.compile("^" + re.escape(filename) + "$")))
    item.wait_for(timeout=15_000)
    return item


def row(page, name: str):
    return page.locator(f"#jupyter-flow-runs .jf-RunRow[data-name='{name}']")


def open_run(page, name: str):
    open_panel(page)
    row(page, name).wait_for(timeout=15_000)
    row(page, name).locator(".jf-RunRow-name").click()
    view = page.locator(f".jf-RunView[id='jupyter-flow-run-{name}']")
    view.wait_for(state="visible", timeout=15_000)
    view.locator(".jf-RunView-graph canvas").first.wait_for(timeout=15_000)
    return view


def graph_nodes(page, name: str, timeout: float = 15_000) -> list[dict]:
    """The cytoscape nodes of a run's graph with their on-screen position (page coordinates)."""
    js = """(id) => {
        const el = document.getElementById(id).querySelector('.jf-RunView-graph');
        const cy = el && el._cyreg && el._cyreg.cy;
        if (!cy) return null;
        const box = el.getBoundingClientRect();
        return cy.nodes().map(n => ({id: n.id(), label: n.data('label'), phase: (['Pending','Running','Suspended','Succeeded','Failed','Error','Skipped','Omitted'].find(p => n.hasClass(p))),
            color: n.style('background-color'),
            x: box.left + n.renderedPosition().x, y: box.top + n.renderedPosition().y}));
    }"""
    page.wait_for_function(f"(id) => ({js})(id) && ({js})(id).length > 0", arg=f"jupyter-flow-run-{name}",
                           timeout=timeout)
    return page.evaluate(js, f"jupyter-flow-run-{name}")


def click_node(page, name: str, label: str):
    page.wait_for_timeout(300)  # let the layout settle
    node = next(n for n in graph_nodes(page, name) if n["label"] == label)
    page.mouse.click(node["x"], node["y"])
    panel = page.locator(f"#jupyter-flow-run-{name} .jf-NodePanel")
    panel.locator(".jf-NodePanel-table").wait_for(timeout=10_000)
    return panel


def kernel_submit(lab, text: str) -> str:
    """Submit from a real notebook kernel (nbclient), as a user's notebook would."""
    import nbformat
    from nbclient import NotebookClient
    src = ("import jupyter_flow\n"
           f"run = jupyter_flow.submit({text!r}, wait=True)\n"
           "print('RUN', run.name, run.phase)")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src)])
    old = os.environ.get("JUPYTER_FLOW_HOME")
    os.environ["JUPYTER_FLOW_HOME"] = str(lab["home"])  # the kernel inherits this environment
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(lab["root"])}}
                       ).execute()
    finally:
        if old is None:
            os.environ.pop("JUPYTER_FLOW_HOME", None)
        else:
            os.environ["JUPYTER_FLOW_HOME"] = old
    out = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    m = re.search(r"RUN (\S+) Succeeded", out)
    assert m, out
    return m.group(1)


# -- tests ------------------------------------------------------------------------------------------
def test_panel_lists_runs_from_the_cli_and_a_kernel(lab, page):
    from_cli = cli_submit(lab, HELLO, "from-cli.yaml")
    from_kernel = kernel_submit(lab, HELLO.replace("generateName: hello-", "generateName: kernel-"))
    open_panel(page)
    for name in (from_cli, from_kernel):
        row(page, name).wait_for(timeout=15_000)
        # the panel refreshes every 1.5 s: a row first drawn mid-run turns Succeeded on a later poll
        page.wait_for_function(f"() => document.querySelector(\"[data-name='{name}']\")?.dataset.phase === 'Succeeded'",
                               timeout=15_000)
        assert row(page, name).get_attribute("data-phase") == "Succeeded"
        assert row(page, name).locator(".jf-RunRow-progress").inner_text() == "1/1"
        assert row(page, name).locator(".jf-RunRow-icon").inner_text() == "✔"
    shot(page, "01-panel-cli-and-kernel-runs")
    assert not page.errors, page.errors


def test_panel_filters_by_phase_and_updates_live(lab, page):
    failed = cli_submit(lab, FAIL, "fail.yaml")
    running = cli_submit(lab, APPROVE, "approve.yaml", wait=False)
    open_panel(page)
    row(page, running).wait_for(timeout=15_000)
    page.wait_for_function(f"() => document.querySelector(\"[data-name='{running}']\")?.dataset.phase === 'Running'",
                           timeout=20_000)
    page.select_option("#jupyter-flow-runs .jf-RunsPanel-filter", "Failed")
    # the virtual list drops its rows and draws the filtered page when it arrives: wait for that page
    page.wait_for_function(f"() => !document.querySelector(\"[data-name='{running}']\")"
                           f" && !!document.querySelector(\"[data-name='{failed}']\")", timeout=15_000)
    names = page.locator("#jupyter-flow-runs .jf-RunRow").evaluate_all("els => els.map(e => e.dataset.name)")
    assert failed in names and running not in names
    assert all(p == "Failed" for p in page.locator("#jupyter-flow-runs .jf-RunRow").evaluate_all(
        "els => els.map(e => e.dataset.phase)"))
    shot(page, "02-panel-filter-failed")
    page.select_option("#jupyter-flow-runs .jf-RunsPanel-filter", "")
    # Resume from the panel: the suspended run goes on and succeeds, and the row follows live
    row(page, running).locator(".jf-action-resume").click()
    page.wait_for_function(f"() => document.querySelector(\"[data-name='{running}']\")?.dataset.phase === 'Succeeded'",
                           timeout=30_000)
    # Retry is offered for the failed run only
    assert row(page, failed).locator(".jf-action-retry").is_enabled()
    assert not row(page, running).locator(".jf-action-retry").is_enabled()
    shot(page, "03-panel-after-resume")


def test_stop_and_delete_from_the_panel(lab, page):
    name = cli_submit(lab, SLEEP, "sleep.yaml", wait=False)
    open_panel(page)
    row(page, name).wait_for(timeout=15_000)
    page.wait_for_function(f"() => document.querySelector(\"[data-name='{name}']\")?.dataset.phase === 'Running'",
                           timeout=20_000)
    row(page, name).locator(".jf-action-stop").click()
    page.wait_for_function(
        f"() => ['Failed', 'Error'].includes(document.querySelector(\"[data-name='{name}']\")?.dataset.phase)",
        timeout=30_000)
    row(page, name).locator(".jf-action-delete").click()
    page.locator(".jp-Dialog .jp-mod-accept").click()
    page.wait_for_function(f"() => !document.querySelector(\"[data-name='{name}']\")", timeout=15_000)
    assert name not in cli(lab, "list", "-o", "name").split()


def test_opening_a_run_draws_its_dag_and_a_node_shows_its_log(lab, page):
    name = cli_submit(lab, (lab["root"] / "diamond.yaml").read_text(), "diamond-copy.yaml")
    open_run(page, name)
    nodes = graph_nodes(page, name)
    labels = sorted(n["label"] for n in nodes if n["label"])
    assert labels == sorted(["A", "B", "C", "D", name]), labels
    assert all(n["phase"] == "Succeeded" for n in nodes)
    assert {n["color"] for n in nodes} == {"rgb(24,190,148)"}  # Argo's success colour
    ys = {n["label"]: n["y"] for n in nodes}
    assert ys["A"] < ys["B"] < ys["D"] and abs(ys["B"] - ys["C"]) < 1  # layered, top to bottom
    panel = click_node(page, name, "B")
    log = panel.locator(".jf-NodePanel-log")
    page.wait_for_function(f"() => document.querySelector('#jupyter-flow-run-{name} .jf-NodePanel-log')"
                           "?.textContent === 'B\\n'", timeout=15_000)
    assert json.loads(panel.locator(".jf-NodePanel-inputs").inner_text())["parameters"][0]["value"] == "B"
    assert json.loads(panel.locator(".jf-NodePanel-outputs").inner_text())["exitCode"] == "0"
    assert log.inner_text().strip() == "B"
    shot(page, "04-run-dag-node-log")
    assert not page.errors, page.errors


def test_the_dag_updates_live(lab, page):
    name = cli_submit(lab, APPROVE, "approve-live.yaml", wait=False)
    open_run(page, name)
    try:
        page.wait_for_function(
            f"""() => {{ const el = document.querySelector('#jupyter-flow-run-{name} .jf-RunView-graph');
                return el && el._cyreg && el._cyreg.cy.nodes().some(n => n.data('label') === 'approve'
                       && (['Pending','Running','Suspended','Succeeded','Failed','Error','Skipped','Omitted'].find(p => n.hasClass(p))) === 'Suspended'); }}""", timeout=20_000)
    except Exception:
        shot(page, "FAIL-dag-live")
        print("DEBUG", name, page.evaluate(f"""() => {{ const v = document.querySelector('#jupyter-flow-run-{name}');
            const el = v && v.querySelector('.jf-RunView-graph');
            return [v && v.className, v && v.querySelector('.jf-RunView-header').textContent,
                    el && el._cyreg ? el._cyreg.cy.nodes().map(n => [n.data('label'), (['Pending','Running','Suspended','Succeeded','Failed','Error','Skipped','Omitted'].find(p => n.hasClass(p)))]) : 'nocy'] }}"""),
              page.errors, cli(lab, "get", name))
        raise
    shot(page, "05-run-live-suspended")
    page.locator(f"#jupyter-flow-run-{name} .jf-action-resume").click()
    page.wait_for_function(
        f"""() => {{ const el = document.querySelector('#jupyter-flow-run-{name} .jf-RunView-graph');
            return el._cyreg.cy.nodes().some(n => n.data('label') === 'after' && (['Pending','Running','Suspended','Succeeded','Failed','Error','Skipped','Omitted'].find(p => n.hasClass(p))) === 'Succeeded'); }}""",
        timeout=30_000)
    assert page.locator(f"#jupyter-flow-run-{name}").get_attribute("data-phase") == "Succeeded"
    shot(page, "06-run-live-resumed")


FLAKY = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{generateName: flaky-}}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {{name: flaky, template: flaky}}
  - name: flaky
    retryStrategy: {{limit: 1}}
    container: {{image: busybox, command: [test, -e, "{marker}"]}}
"""


def test_a_retry_redraws_the_dag_without_the_failed_attempts(lab, page):
    # attempt 1 fails twice (flaky(0), flaky(1)); after `retry` flaky(0) succeeds, and flaky(1),
    # which the new attempt never makes, must leave the panel's graph too
    marker = lab["root"] / f"flaky-{secrets.token_hex(3)}.ok"
    name = cli_submit(lab, FLAKY.format(marker=marker), "flaky.yaml")
    open_run(page, name)
    assert "flaky(1)" in {n["label"] for n in graph_nodes(page, name)}
    click_node(page, name, "flaky(1)")
    marker.write_text("ok")
    page.locator(f"#jupyter-flow-run-{name} .jf-action-retry").click()
    page.wait_for_function(
        f"""() => {{ const el = document.querySelector('#jupyter-flow-run-{name} .jf-RunView-graph');
            const labels = el._cyreg.cy.nodes().map(n => n.data('label'));
            return labels.includes('flaky(0)') && !labels.includes('flaky(1)')
                && el._cyreg.cy.nodes().every(n => (['Pending','Running','Suspended','Succeeded','Failed','Error','Skipped','Omitted'].find(p => n.hasClass(p))) === 'Succeeded'); }}""", timeout=30_000)
    # the node panel showed flaky(1): it goes back to its hint rather than show a node that is gone
    page.locator(f"#jupyter-flow-run-{name} .jf-NodePanel-hint").wait_for(timeout=10_000)
    assert not page.errors, page.errors


def test_submit_a_yaml_file_from_the_file_browser(lab, page):
    before = set(cli(lab, "list", "-o", "name").split())
    file_item(page, "hello.yaml").click(button="right")
    page.locator(".lm-Menu-itemLabel", has_text="Submit as workflow").click()
    new = wait_for(lambda: set(cli(lab, "list", "-o", "name").split()) - before, timeout=20)
    (name,) = new
    assert name.startswith("hello-")
    page.locator(f"#jupyter-flow-run-{name}").wait_for(state="visible", timeout=20_000)
    page.wait_for_function(f"() => document.querySelector('#jupyter-flow-run-{name}')?.dataset.phase === 'Succeeded'",
                           timeout=30_000)
    page.wait_for_timeout(500)
    box = page.locator(f"#jupyter-flow-run-{name} .jf-RunView-graph").bounding_box()
    nodes = graph_nodes(page, name)
    assert nodes and all(box["x"] < n["x"] < box["x"] + box["width"] and box["y"] < n["y"] < box["y"] + box["height"]
                         for n in nodes), (box, nodes)
    shot(page, "07-submit-from-file-browser")


def test_submitting_an_invalid_file_shows_lint_errors_with_lines(lab, page):
    before = set(cli(lab, "list", "-o", "name").split())
    file_item(page, "typo.yaml").click(button="right")
    page.locator(".lm-Menu-itemLabel", has_text="Submit as workflow").click()
    dialog = page.locator(".jp-Dialog .jf-LintDialog")
    dialog.wait_for(timeout=15_000)
    text = dialog.inner_text()
    assert "line 11, col 5" in text and "contaner" in text, text
    shot(page, "08-lint-dialog")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    assert set(cli(lab, "list", "-o", "name").split()) == before


def test_log_text_is_never_html(lab, page):
    name = cli_submit(lab, XSS, "xss.yaml")
    open_run(page, name)
    panel = click_node(page, name, name)  # the single pod node carries the workflow's name
    page.wait_for_function(f"() => document.querySelector('#jupyter-flow-run-{name} .jf-NodePanel-log')"
                           "?.textContent.includes('onerror')", timeout=15_000)
    log = panel.locator(".jf-NodePanel-log")
    assert '<img src=x onerror="window.__jfPwned=1">' in log.inner_text()
    assert "<script>window.__jfPwned=2</script>" in log.inner_text()
    assert log.locator("img, script").count() == 0
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.__jfPwned") is None
    assert page.locator("img[src='x']").count() == 0
    shot(page, "09-log-xss-as-text")
    assert not page.errors, page.errors


def test_node_panel_links_output_artifacts(lab, page):
    name = cli_submit(lab, ARTIFACT, "artifact.yaml")
    open_run(page, name)
    panel = click_node(page, name, name)
    link = panel.locator(".jf-NodePanel-artifacts a")
    link.wait_for(timeout=10_000)
    assert link.inner_text().startswith("out (/tmp/out.txt)")
    href = link.get_attribute("href")
    assert href.endswith(f"/jupyter-flow/api/runs/{name}/artifacts/{name}/out")
    body = page.evaluate("async (u) => (await fetch(u)).text()", href)  # the login cookie authenticates it
    assert body == "artifact-body\n"
    shot(page, "11-node-artifact-link")


def test_workflow_cells_get_yaml_highlighting(lab, page):
    file_item(page, "cell.ipynb").dblclick()
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=30_000)
    cells = page.locator(".jp-Notebook .jp-CodeCell")
    page.wait_for_function("() => document.querySelectorAll('.jp-Notebook .jp-CodeCell .cm-editor').length >= 2",
                           timeout=30_000)
    first, second = cells.nth(0).locator(".cm-editor"), cells.nth(1).locator(".cm-editor")
    page.wait_for_function("() => document.querySelector('.jp-Notebook .jp-CodeCell .cm-editor')"
                           ".classList.contains('jf-workflow-cell')", timeout=15_000)
    assert "jf-workflow-cell" not in (second.get_attribute("class") or "")
    # YAML tokens: the mapping keys are highlighted as property names, unlike in Python
    assert first.locator(".cm-line span").count() > 5
    # typing %%workflow into the plain cell switches it to YAML too
    second.locator(".cm-content").click()
    page.keyboard.press("Control+Home")
    page.keyboard.type("%%workflow\n")
    page.wait_for_function("() => document.querySelectorAll('.jp-Notebook .jf-workflow-cell').length === 2",
                           timeout=10_000)
    shot(page, "10-workflow-cell-yaml")


BIG_LOG = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: big-log-
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: busybox
      command: [awk]
      args: ["BEGIN { for (i = 0; i < 20000; i++) printf \\"line %05d 0123456789012345678901234567890123456789\\\\n\\", i }"]
"""

ENDLESS_LINE = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: endless-line-
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: busybox
      command: [sh, -c]
      args: ["i=0; while [ $i -lt 200 ]; do head -c 1000000 /dev/zero | tr '\\\\0' x; sleep 0.05; i=$((i+1)); done"]
"""


def _log_state(page, name: str) -> dict:
    return page.evaluate("""(id) => {
        const pre = document.querySelector('#' + id + ' .jf-NodePanel-log');
        const more = document.querySelector('#' + id + ' .jf-NodePanel-log-earlier');
        return {text: pre.textContent, start: Number(pre.dataset.start), end: Number(pre.dataset.end),
                complete: pre.dataset.complete === 'true', pieces: pre.childNodes.length,
                button: more && !more.hidden ? more.textContent : null};
    }""", f"jupyter-flow-run-{name}")


def _line_numbers(text: str) -> list[int]:
    return [int(m.group(1)) for m in re.finditer(r"^line (\d{5}) 0123456789012345678901234567890123456789$", text, re.M)]


def test_a_big_log_shows_its_tail_and_loads_earlier_parts(lab, page):
    """1 MB of log: the view holds its last 64 KB, and "Load earlier" puts the 64 KB before it in
    front, byte for byte where they belong."""
    name = cli_submit(lab, BIG_LOG, "big-log.yaml")
    open_run(page, name)
    click_node(page, name, name)
    page.wait_for_function(f"() => document.querySelector('#jupyter-flow-run-{name} .jf-NodePanel-log')"
                           "?.dataset.complete === 'true'", timeout=20_000)
    first = _log_state(page, name)
    size = 20000 * len("line 00000 0123456789012345678901234567890123456789\n")
    assert first["end"] == size and size - first["start"] <= 64 * 1024 and first["start"] > 0, first
    assert len(first["text"].encode()) == size - first["start"]
    numbers = _line_numbers(first["text"])
    assert numbers[-1] == 19999 and numbers == list(range(numbers[0], 20000))
    assert first["button"] and first["button"].startswith("Load earlier (") and "KB not shown" in first["button"]
    shot(page, "10-big-log-tail")
    page.locator(f"#jupyter-flow-run-{name} .jf-NodePanel-log-earlier").click()
    page.wait_for_function(f"(s) => Number(document.querySelector('#jupyter-flow-run-{name} .jf-NodePanel-log')"
                           ".dataset.start) < s", arg=first["start"], timeout=10_000)
    second = _log_state(page, name)
    assert second["start"] == first["start"] - 64 * 1024 and second["end"] == size, second
    assert second["text"].endswith(first["text"]) and len(second["text"].encode()) == size - second["start"]
    numbers = _line_numbers(second["text"])
    assert numbers == list(range(numbers[0], 20000)) and numbers[0] < _line_numbers(first["text"])[0]
    assert not page.errors, page.errors


def test_following_an_endless_line_keeps_the_page_bounded(lab, page):
    """A step printing 200 MB on one line while the view follows it: the page keeps at most its
    256 KB window (plus one chunk), as contiguous byte ranges or from a later point after a skip."""
    name = cli_submit(lab, ENDLESS_LINE, "endless-line.yaml", wait=False)
    open_panel(page)
    row(page, name).wait_for(timeout=30_000)
    page.wait_for_function(f"() => document.querySelector(\"[data-name='{name}']\")?.dataset.phase === 'Running'",
                           timeout=30_000)
    open_run(page, name)
    click_node(page, name, name)
    page.wait_for_function(f"() => Number(document.querySelector('#jupyter-flow-run-{name} .jf-NodePanel-log')"
                           "?.dataset.end) > 1000000", timeout=30_000)
    seen = []
    for _ in range(12):
        state = _log_state(page, name)
        assert len(state["text"]) <= 256 * 1024 + 64 * 1024, len(state["text"])
        assert len(state["text"].encode()) == state["end"] - state["start"]
        assert set(state["text"]) <= {"x"}
        seen.append(state["end"])
        page.wait_for_timeout(250)
    assert seen[-1] > seen[0]   # still following
    shot(page, "11-endless-line-bounded")
    cli(lab, "terminate", name, check=False)
    assert not page.errors, page.errors


def test_the_panel_deletes_old_runs_stored_under_names_that_are_paths(lab, page):
    """Rows an older version stored as ``..`` and as a directory of the user's (issue 16): the
    panel lists them and deletes them; the user's directory and the home survive."""
    import sqlite3
    import time

    from tests.security.test_names_paths import _old_row
    project = lab["base"] / "project"
    project.mkdir(exist_ok=True)
    (project / "precious.txt").write_text("user data\n")
    cli(lab, "list")   # the store exists
    names = ["..", str(project)]
    for name in names:
        _old_row(lab["home"], name)
    open_panel(page)
    for name in names:
        row(page, name).wait_for(timeout=15_000)
        row(page, name).locator(".jf-action-delete").click()
        page.locator(".jp-Dialog .jp-mod-accept").click()
        page.wait_for_function("name => ![...document.querySelectorAll('#jupyter-flow-runs .jf-RunRow')]"
                               ".some(r => r.dataset.name === name)", arg=name, timeout=15_000)
    deadline = time.time() + 10
    while time.time() < deadline:
        with sqlite3.connect(lab["home"] / "runs.db") as conn:
            left = [n for (n,) in conn.execute("SELECT name FROM runs") if n in names]
        if not left:
            break
        time.sleep(0.2)
    assert left == []
    assert sorted(p.name for p in project.iterdir()) == ["precious.txt"]
    assert (lab["home"] / "runs.db").exists() and (lab["home"] / "runs").is_dir()
    assert not [e for e in page.errors if "unexpected dialog" in e], page.errors
