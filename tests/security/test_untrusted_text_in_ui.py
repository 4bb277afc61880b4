"""Untrusted text (log lines, outputs, node names, messages) reaches the notebook widget as text.

The widget draws with ``ipywidgets.HTML``; every value it puts into model state must have
the payload's markup escaped, so no ``<script>``/``<img onerror>`` arrives in the browser as
markup. (Browser-level checks belong to the lab extension's tests.)
"""
from __future__ import annotations

import time

import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("ipycytoscape")

import ipywidgets as W  # noqa: E402

import jupyter_flow  # noqa: E402

XSS = "<script>alert(1)</script><img src=x onerror=alert(2)><svg/onload=alert(3)>"


def all_html_values(widget) -> list[str]:
    """Every string value of every HTML-ish widget reachable from ``widget``'s model state."""
    out, seen, stack = [], set(), [widget]
    while stack:
        w = stack.pop()
        if id(w) in seen or not isinstance(w, W.Widget):
            continue
        seen.add(id(w))
        if isinstance(w, (W.HTML, W.HTMLMath, W.Label)):
            out.append(w.value)
        for key in getattr(w, "keys", []):
            value = getattr(w, key, None)
            if isinstance(value, W.Widget):
                stack.append(value)
            elif isinstance(value, (list, tuple)):
                stack.extend(v for v in value if isinstance(v, W.Widget))
    return out


def test_logs_outputs_and_messages_with_markup_are_escaped(store):
    from jupyter_flow.notebook.widget import RunWidget
    wf = {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "xss-"},
        "spec": {"entrypoint": "main", "templates": [
            {"name": "main", "outputs": {"parameters": [{"name": "p", "valueFrom": {"path": "/tmp/p"}}]},
             "container": {"image": "alpine", "command": [
                 "sh", "-c", f"printf '%s' '{XSS}' > /tmp/p; echo '{XSS}'; echo '{XSS}' >&2; exit 3"]}}]}}
    run = jupyter_flow.submit(wf, store=store)
    assert run.wait(60) == "Failed"
    w = RunWidget(run)
    pod = next(nid for nid, n in w.nodes.items() if n.get("type") == "Pod")
    w.select(pod)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and "alert(1)" not in w.panel.log.value:
        time.sleep(0.05)
    values = all_html_values(w.body) + all_html_values(w.header) + [w.panel.log.value, w.panel.info.value]
    joined = "\n".join(values)
    assert "alert(1)" in joined, "the log was not shown at all"
    for raw in ("<script>", "<img src=x", "<svg/onload"):
        assert raw not in joined, f"unescaped {raw!r} in widget state"
    assert "&lt;script&gt;" in joined
