"""A real kernel whose page never reports the lab extension's DAG model (VS Code, Colab): the graph
becomes a picture; the model's late ``ready`` message, sent as a page sends it, brings the graph back."""
from __future__ import annotations

import json
import time

import pytest

pytest.importorskip("ipykernel")
jupyter_client = pytest.importorskip("jupyter_client")

DIAMOND = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: pic-}
spec:
  entrypoint: d
  templates:
  - name: d
    dag:
      tasks:
      - {name: A, template: t}
      - {name: B, template: t, depends: A}
  - name: t
    container: {image: busybox, command: ["true"]}"""


def _run(kc, code: str) -> str:
    """Execute ``code``; returns what it printed (raises on an error)."""
    msg_id = kc.execute(code)
    out = []
    while True:
        msg = kc.get_iopub_msg(timeout=30)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            out.append(content["text"])
        elif kind == "error":
            raise AssertionError("\n".join(content["traceback"]))
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(out)


def test_picture_without_the_extension_and_back_on_a_late_ready(kernel_env):
    from jupyter_client.manager import start_new_kernel
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        _run(kc, "import jupyter_flow, json\n"
                 "from jupyter_flow.notebook import widget, run_widget\n"
                 "widget.FRONTEND_WAIT_S = 0.3\n"
                 f"r = jupyter_flow.submit({DIAMOND!r}, wait=True)\n"
                 "display(r)")
        time.sleep(1.5)                                   # the kernel idles: no page answers
        state = json.loads(_run(kc, "w = run_widget(r)\n"
                                    "print(json.dumps({'kind': type(w.graph).__name__,"
                                    " 'shown': w.body.children[0].model_id == w.graph.widget.model_id,"
                                    " 'svg': w.graph.picture.value, 'dag': w._lab_graph.widget.model_id}))"))
        assert state["kind"] == "SvgRenderer" and state["shown"]
        assert state["svg"].count("<rect ") == 3 and "Succeeded" not in state["svg"]   # colours, not words
        # what the lab extension's DagModel sends when the page creates it (ipywidgets custom message)
        kc.shell_channel.send(kc.session.msg("comm_msg", {
            "comm_id": state["dag"], "data": {"method": "custom", "content": {"event": "ready"}}}))
        deadline = time.monotonic() + 10
        kind = ""
        while time.monotonic() < deadline and kind != "DagRenderer":
            kind = _run(kc, "print(type(run_widget(r).graph).__name__)").strip()
        assert kind == "DagRenderer"
        assert _run(kc, "print(run_widget(r).body.children[0].model_id == run_widget(r).graph.widget.model_id)"
                    ).strip() == "True"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
