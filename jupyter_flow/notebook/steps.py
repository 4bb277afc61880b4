"""Notebooks as workflow steps: an Argo container template that runs a notebook with papermill.

The template is plain Argo (``container`` with ``python -m papermill``), so it runs unchanged on
a cluster with an image that has papermill and the notebook; locally ``python`` is this
interpreter. The executed notebook is the node's output artifact (``notebook`` by default);
the run widget renders its outputs inline, and ``--log-output`` streams cell outputs to the
node's log while it runs.
"""
from __future__ import annotations

import json
import os
from typing import Any, Mapping

OUTPUT_PATH = "/tmp/executed.ipynb"   # /tmp exists in every image; papermill does not create folders


def papermill_template(name: str, notebook_path: str | os.PathLike, parameters: Mapping[str, Any] | None = None, *,
                       image: str = "python:3.11", kernel: str | None = "python3",
                       output_artifact: str = "notebook", output_path: str = OUTPUT_PATH,
                       output_parameters: Mapping[str, str] | None = None, cwd: str | None = None,
                       embed: bool = True) -> dict:
    """An Argo template named ``name`` that executes ``notebook_path`` with papermill.

    ``parameters`` maps each notebook parameter to its default (``None``: the caller must pass
    it); each becomes an input parameter of the template and a ``-p NAME VALUE`` of papermill,
    which injects it after the notebook's ``parameters`` cell.

    With ``embed=True`` (the default) the notebook, outputs cleared, travels inside the
    workflow as a ``raw`` input artifact placed at ``/tmp/inputs/<name>``: the step sees it even
    in its private ``/tmp``, and the same YAML runs on a cluster. ``embed=False`` uses
    ``notebook_path`` as written (a path inside the image, or on this machine).
    ``output_parameters`` maps output names to files the notebook writes (``valueFrom.path``).
    """
    path = os.fspath(notebook_path)
    artifacts = []
    if embed:
        raw = _stripped_notebook(path)
        path = f"/tmp/inputs/{os.path.basename(path) or 'notebook.ipynb'}"
        artifacts.append({"name": "source-notebook", "path": path, "raw": {"data": raw}})
    params = dict(parameters or {})
    inputs = []
    args = [path, output_path, "--log-output", "--no-progress-bar"]
    if kernel:
        args += ["--kernel", kernel]
    if cwd:
        args += ["--cwd", cwd]
    for key, default in params.items():
        entry: dict[str, Any] = {"name": key}
        if default is not None:
            entry["value"] = default if isinstance(default, str) else json.dumps(default)
        inputs.append(entry)
        args += ["-p", key, "{{inputs.parameters.%s}}" % key]
    template: dict[str, Any] = {
        "name": name,
        "container": {
            "image": image,
            "command": ["python", "-m", "papermill"],
            "args": args,
            # kernels write connection files and IPython state: keep both in the step's private /tmp
            "env": [{"name": "JUPYTER_RUNTIME_DIR", "value": "/tmp/jupyter-runtime"},
                    {"name": "IPYTHONDIR", "value": "/tmp/ipython"},
                    {"name": "JUPYTER_FLOW_WIDGET", "value": "0"}],
        },
        "outputs": {"artifacts": [{"name": output_artifact, "path": output_path}]},
    }
    if inputs or artifacts:
        template["inputs"] = {}
        if inputs:
            template["inputs"]["parameters"] = inputs
        if artifacts:
            template["inputs"]["artifacts"] = artifacts
    if output_parameters:
        template["outputs"]["parameters"] = [{"name": k, "valueFrom": {"path": v}}
                                             for k, v in output_parameters.items()]
    return template


def _stripped_notebook(path: str) -> str:
    """The notebook's JSON without outputs or execution counts (smaller, and no stale results)."""
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    for cell in nb.get("cells") or []:
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return json.dumps(nb, indent=1)
