"""How a Run shows in Jupyter is the notebook's to say, through ``jupyter_flow.views``: the API
imports no surface, so a run displays through whatever view is registered for it."""
from __future__ import annotations

import subprocess
import sys

import pytest

import jupyter_flow
from jupyter_flow import views

WF = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "shown-"},
      "spec": {"entrypoint": "main", "templates": [{"name": "main", "script": {"image": "sh", "command": ["sh"],
                                                                             "source": "true"}}]}}


@pytest.fixture
def run(store):
    run = jupyter_flow.submit(WF, wait=True, timeout=60, store=store)
    assert run.phase == "Succeeded"
    return run


def test_a_run_displays_through_the_registered_view(run):
    seen = []

    def mine(obj, include=None, exclude=None):
        seen.append((obj, include, exclude))
        return {"text/html": "<b>mine</b>"}
    views.register("run", mine)
    try:
        assert run._repr_mimebundle_(include=["text/html"]) == {"text/html": "<b>mine</b>"}
        assert seen == [(run, ["text/html"], None)]
    finally:
        views.register("run", jupyter_flow.VIEWS["run"])


def test_outside_a_kernel_the_notebooks_view_is_the_get_tree(run):
    bundle = run._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]   # no widget without a kernel: the `get` tree
    assert bundle["text/plain"].startswith(f"Name:                {run.name}\n")
    assert f" ✔ {run.name}  main" in bundle["text/plain"]


def test_the_api_and_the_launch_pipeline_import_no_surface():
    code = ("import sys, jupyter_flow.api, jupyter_flow.launch, jupyter_flow.resubmit, jupyter_flow.backends.registry;"
            "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('jupyter_flow.')}"
            " & {'notebook', 'server', 'cli', 'argoserver'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
