"""The widget's node panel "Debug in notebook": the kernel asks the lab extension for a new cell."""
from __future__ import annotations

import pytest

pytest.importorskip("ipywidgets")

import jupyter_flow  # noqa: E402
from jupyter_flow.notebook.dagmodel import DagRenderer  # noqa: E402
from jupyter_flow.notebook.widget import RunWidget  # noqa: E402

FAILS = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: dbg-widget-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: boom, template: boom, arguments: {parameters: [{name: m, value: "</pre><script>x()</script>"}]}}
  - name: boom
    inputs: {parameters: [{name: m}]}
    script:
      image: python:3.11
      command: [python]
      source: |
        raise RuntimeError({{=toJson(inputs.parameters.m)}})
"""


def test_debug_button_sends_the_cell_to_the_page(store, comm_log):
    run = jupyter_flow.submit(FAILS, wait=True, store=store)
    renderer = DagRenderer(fallback=False)
    w = RunWidget(run, renderer_factory=lambda: renderer)
    renderer._message(None, {"event": "ready"}, None)     # what the lab extension's model says first
    boom = run.node("boom")
    w.select(boom["id"])
    assert w.panel.btn_debug.layout.display is None
    start = len(comm_log)
    w.panel.btn_debug.click()
    sent = [c for kind, method, c in comm_log[start:] if method == "custom" and c.get("type") == "insert-cell"]
    assert sent == [{"type": "insert-cell", "code": jupyter_flow.debug(run, boom["id"])}]
    assert "inserted below" in w.panel.debug_out.value
    w.select(run.name)                                    # a Steps node: nothing to debug
    assert w.panel.btn_debug.layout.display == "none"
    w.close()


def test_without_the_lab_extension_the_code_is_shown_escaped(store, comm_log):
    run = jupyter_flow.submit(FAILS, wait=True, store=store)
    w = RunWidget(run, renderer_factory=lambda: DagRenderer(fallback=False))   # no page answered
    w.select(run.node("boom")["id"])
    w.panel.btn_debug.click()
    shown = w.panel.debug_out.value
    assert "RuntimeError" in shown and "<script>" not in shown and "&lt;script&gt;" in shown
    w.close()
