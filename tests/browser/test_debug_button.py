"""JupyterLab in headless Chromium: the run view's "Debug in notebook" puts a node's debug cell
(``jupyter_flow.debug``, from the server) below the active cell of the open notebook, as text."""
from __future__ import annotations

import pytest

from tests.browser.test_lab import browser, cli_submit, click_node, file_item, lab, open_run, page, shot  # noqa: F401

pytestmark = [pytest.mark.xdist_group("jupyterlab-browser")]

BOOM = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: boom-
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: boom
        template: boom
        arguments: {parameters: [{name: m, value: "<img src=x onerror='window.__xss = 1'>"}]}
  - name: boom
    inputs: {parameters: [{name: m}]}
    script:
      image: python:3.11
      command: [python]
      source: |
        raise ValueError({{=toJson(inputs.parameters.m)}})
"""

# the text of a cell's CodeMirror editor (its document, whatever is scrolled into view)
CELL_TEXT = """(i) => {
    const cells = document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell');
    const content = cells[i] && cells[i].querySelector('.cm-content');
    const view = content && content.cmView && (content.cmView.rootView || content.cmView).view;
    return view ? view.state.doc.toString() : null;
}"""
CELLS = "() => document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell').length"


def test_debug_in_notebook_inserts_the_cell_below_the_active_cell(lab, page):
    from jupyter_flow import api
    from jupyter_flow.debugcell import debug
    from jupyter_flow.store import open_store
    name = cli_submit(lab, BOOM, "boom.yaml")
    expected = debug(api.get(name, store=open_store(lab["home"])), "boom")
    file_item(page, "cell.ipynb").dblclick()
    page.wait_for_function(f"() => ({CELLS})() >= 2", timeout=30_000)
    page.wait_for_function(f"() => ({CELL_TEXT})(1) !== null", timeout=30_000)
    before = page.evaluate(CELLS)
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").first.click()   # active: cell 0
    open_run(page, name)
    panel = click_node(page, name, "boom")
    button = panel.locator(".jf-NodePanel-debug")
    assert button.inner_text() == "Debug in notebook"
    button.click()
    page.wait_for_function(f"(n) => ({CELLS})() === n + 1", arg=before, timeout=15_000)
    assert page.evaluate(CELL_TEXT, 1) == expected      # below the active cell, the exact text
    assert page.evaluate(CELL_TEXT, 2) == "print('plain python')"
    assert page.evaluate("() => window.__xss") is None
    shot(page, "20-debug-in-notebook")
    assert not page.errors, page.errors


def test_a_steps_node_has_no_debug_button(lab, page):
    name = cli_submit(lab, BOOM, "boom2.yaml")
    open_run(page, name)
    panel = click_node(page, name, name)
    assert panel.locator(".jf-NodePanel-debug").count() == 0
