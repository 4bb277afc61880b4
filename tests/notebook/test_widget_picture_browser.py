"""The notebook widget's picture of a loop in JupyterLab (headless Chromium): one group node with its
phase counts, opened by a click (the kernel opens it), and the graph's search box finding a member
(the kernel reveals it, the page centres on it, the side panel shows it).

Slow (JupyterLab, Chromium, a kernel): runs in CI or with ``JUPYTER_FLOW_BROWSER_TESTS=1``, as
``test_widget_browser.py``, whose JupyterLab fixture it shares.
"""
from __future__ import annotations

import json

import pytest

from .test_widget_browser import ARGS, CHROMIUM, CY, FIRST_CELL, SHOTS, lab  # noqa: F401

pytestmark = [pytest.mark.xdist_group("jupyterlab-browser")]

LOOP = """%%workflow
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: loop-
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: work
        template: say
        arguments: {parameters: [{name: n, value: "{{item}}"}]}
        withSequence: {count: "40"}
  - name: say
    inputs: {parameters: [{name: n}]}
    container: {image: busybox, command: [echo], args: ["{{inputs.parameters.n}}"]}"""

NODES = CY.replace("classes: n.classes().join(' '),", "classes: n.classes().join(' '), n: n.data('n'), "
                   "selected: n.selected(),")


def test_loop_group_opens_on_click_and_search_finds_a_member(lab, tmp_path):
    from playwright.sync_api import sync_playwright
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": src}
                    for src in (FIRST_CELL, LOOP)],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    (lab["root"] / "loop.ipynb").write_text(json.dumps(nb))
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(tmp_path / "chromium"), executable_path=CHROMIUM,
                                                   headless=True, args=ARGS, viewport={"width": 1400, "height": 1000})
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.goto(f"{lab['url']}/lab/tree/loop.ipynb?token={lab['token']}")
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            page.wait_for_function("() => document.body.innerText.includes('Python 3 (ipykernel) | Idle')",
                                   timeout=60_000)
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            page.wait_for_function(f"""() => {{ const n = ({NODES})();
                return n && n.some(x => x.classes.split(' ').includes('Group') && x.n === 40
                                        && x.classes.includes('Succeeded')); }}""", timeout=90_000)
            nodes = page.evaluate(NODES)
            group = next(n for n in nodes if "Group" in n["classes"].split())
            assert len(nodes) == 3 and group["label"] == "work \u00d740"
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.locator(".jf-run-widget").screenshot(path=str(SHOTS / "widget-loop-group.png"))

            # the graph's own search box (the kernel's is hidden while the page has the extension)
            find = page.locator(".jf-run-graph .jf-find")
            find.fill("work(7:7)")
            find.press("Enter")
            page.wait_for_function(f"""() => {{ const n = ({NODES})();
                return n && n.some(x => x.label === 'work(7:7)' && x.classes.includes('found')
                                        && x.classes.includes('picked')); }}""", timeout=20_000)
            page.wait_for_function("() => (document.querySelector('.jf-node-panel') || {}).innerText"
                                   "?.includes('work(7:7)')", timeout=20_000)
            nodes = {n["label"]: n for n in page.evaluate(NODES)}
            assert next(n for n in nodes.values() if "Group" in n["classes"].split())["n"] == 39
            page.locator(".jf-run-widget").screenshot(path=str(SHOTS / "widget-loop-found.png"))

            # a click on the group opens it: every member drawn (the whole graph in view first: the
            # search centred the found node at a readable zoom)
            page.evaluate("""() => { const area = document.querySelector('.jf-run-graph');
                const el = [area, ...area.querySelectorAll('*')].find(e => e._cyreg && e._cyreg.cy);
                el._cyreg.cy.fit(undefined, 20); }""")
            page.wait_for_timeout(200)
            group = next(n for n in page.evaluate(NODES) if "Group" in n["classes"].split())
            page.mouse.click(group["x"], group["y"])
            page.wait_for_function(f"() => {{ const n = ({NODES})(); return n && n.length === 42; }}",
                                   timeout=20_000)
            labels = {n["label"] for n in page.evaluate(NODES)}
            assert {f"work({i}:{i})" for i in range(40)} <= labels
            assert not errors, errors
        except BaseException:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "widget-picture-failure.png"))
            raise
        finally:
            ctx.close()
