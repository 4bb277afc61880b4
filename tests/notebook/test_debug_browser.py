"""The notebook widget's "Debug in notebook" in JupyterLab (headless Chromium): the kernel sends the
node's debug cell through the DAG model and the lab extension inserts it below the widget's cell.

Slow like test_widget_browser.py (whose lab it uses): runs in CI or with JUPYTER_FLOW_BROWSER_TESTS=1."""
from __future__ import annotations

import json

import pytest

from .test_widget_browser import ARGS, CHROMIUM, CY, FIRST_CELL, SHOTS, lab  # noqa: F401

pytestmark = [pytest.mark.xdist_group("jupyterlab-browser")]

WORKFLOW = """%%workflow
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: widget-debug-
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: boom
        template: boom
        arguments: {parameters: [{name: m, value: "it's <b>bad</b>"}]}
  - name: boom
    inputs: {parameters: [{name: m}]}
    script:
      image: python:3.11
      command: [python]
      source: |
        print("about to fail")
        raise ValueError({{=toJson(inputs.parameters.m)}})"""

CELLS = "() => document.querySelectorAll('.jp-Notebook .jp-Cell').length"
CELL_TEXT = """(i) => {
    const content = document.querySelectorAll('.jp-Notebook .jp-Cell')[i]?.querySelector('.cm-content');
    const view = content && content.cmView && (content.cmView.rootView || content.cmView).view;
    return view ? view.state.doc.toString() : null;
}"""


def test_widget_debug_button_inserts_the_cell_below_the_widget(lab, tmp_path):
    from playwright.sync_api import sync_playwright
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": src}
                    for src in (FIRST_CELL, WORKFLOW, "print('last cell')")],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    (lab["root"] / "debug.ipynb").write_text(json.dumps(nb))
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(tmp_path / "chromium"), executable_path=CHROMIUM,
                                                   headless=True, args=ARGS, viewport={"width": 1400, "height": 1000})
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.goto(f"{lab['url']}/lab/tree/debug.ipynb?token={lab['token']}")
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            page.wait_for_function("() => document.body.innerText.includes('Python 3 (ipykernel) | Idle')",
                                   timeout=60_000)
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            page.wait_for_function("() => (document.querySelector('.jf-run-header') || {}).innerText"
                                   "?.includes('Failed')", timeout=60_000)
            page.wait_for_function(f"() => {{ const n = ({CY})(); return n && n.some(x => x.label === 'boom'); }}",
                                   timeout=30_000)
            page.wait_for_timeout(500)   # let the layout settle
            boom = next(n for n in page.evaluate(CY) if n["label"] == "boom")
            page.mouse.click(boom["x"], boom["y"])
            button = page.locator(".jf-node-panel button", has_text="Debug in notebook")
            button.wait_for(state="visible", timeout=30_000)
            assert page.evaluate(CELLS) == 3
            button.click()
            page.wait_for_function(f"() => ({CELLS})() === 4", timeout=30_000)
            import jupyter_flow
            expected = jupyter_flow.debug(jupyter_flow.get("@latest"), "boom")
            assert page.evaluate(CELL_TEXT, 2) == expected        # right below the widget's cell
            assert page.evaluate(CELL_TEXT, 3) == "print('last cell')"
            assert "inserted below" in page.locator(".jf-node-panel").inner_text()
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "notebook-widget-debug.png"))
            assert not errors, errors
        finally:
            ctx.close()
