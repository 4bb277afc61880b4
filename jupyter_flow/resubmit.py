"""``argo resubmit``: a new run of a run's Workflow, on the run's backend, optionally ``--memoized``.

``resubmission`` is the new Workflow (util.FormulateResubmitWorkflow: the spec and labels, a fresh
generated name, a terminated run's deadline unset). ``--memoized`` of a Failed or Error run reuses
its succeeded pods: each becomes a Skipped node of the new run ("original pod: <id>", its outputs
kept) and only the rest runs again. ``argo retry`` (the same run again) is each backend's
``retry`` (``backends/engine.py``, ``backends/argo``); a template's ``retryStrategy`` is the
engine's (``engine/retries.py``).
"""
from __future__ import annotations

from typing import Any, Mapping

from . import launch, timestamps
from .errors import JupyterFlowError
from .phases import FAILED_OR_ERROR

PREVIOUS_WORKFLOW = "workflows.argoproj.io/resubmitted-from-workflow"
# labels of a run's state that a resubmission does not carry over (FormulateResubmitWorkflow)
_RUN_LABELS = ("workflows.argoproj.io/creator", "workflows.argoproj.io/creator-email",
               "workflows.argoproj.io/creator-preferred-username", "workflows.argoproj.io/phase",
               "workflows.argoproj.io/completed", "workflows.argoproj.io/workflow-archiving-status")


def resubmission(workflow: dict) -> dict:
    """``argo resubmit``'s new Workflow: the spec and labels of ``workflow``, a fresh generated name."""
    meta = dict(workflow.get("metadata") or {})
    base = meta.get("generateName") or (meta.get("name", "workflow") + "-")
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k not in _RUN_LABELS}
    labels[PREVIOUS_WORKFLOW] = meta.get("name", "")   # what `list --resubmitted` looks for
    spec = dict(workflow.get("spec") or {})
    spec.pop("shutdown", None)
    if spec.get("activeDeadlineSeconds") == 0:   # it was terminated that way: unset the deadline
        spec.pop("activeDeadlineSeconds")
    return {"apiVersion": workflow.get("apiVersion", "argoproj.io/v1alpha1"), "kind": "Workflow",
            "metadata": {"generateName": base, "labels": labels,
                         **({"annotations": meta["annotations"]} if meta.get("annotations") else {})},
            "spec": spec}


def memoized_nodes(old: str, new: str, nodes: dict[str, dict]) -> dict[str, dict]:
    """The nodes a memoized resubmission of run ``old`` as ``new`` starts from: its succeeded pods,
    renamed into ``new`` and turned into Skipped nodes that keep their outputs. The rest runs again
    (Argo marks it Pending), the exit handler's nodes too."""
    from .engine.nodes import node_id

    def renamed(name: str) -> str:
        return new + name[len(old):] if name.startswith(old) else name

    def new_id(nid: str) -> str:
        node = nodes.get(nid)
        return node_id(new, renamed(node["name"])) if node else nid

    now = timestamps.now_iso()
    kept: dict[str, dict] = {}
    for nid, n in nodes.items():
        if n.get("name", "").startswith(old + ".onExit") or n.get("type") != "Pod" or n.get("phase") != "Succeeded":
            continue
        name = renamed(n["name"])
        node = dict(n, id=node_id(new, name), name=name, type="Skipped", phase="Skipped",
                    message=f"original pod: {nid}", startedAt=now, finishedAt=now, children=[])
        if n.get("boundaryID"):
            node["boundaryID"] = new_id(n["boundaryID"])
        for key in ("outboundNodes", "hostNodeName", "estimatedDuration", "progress", "resourcesDuration"):
            node.pop(key, None)
        kept[node["id"]] = node
    return kept


def resubmit(rec, store, *, parameters: Mapping[str, Any] | None = None, memoized: bool = False,
             detach: bool = False) -> tuple[str, Any]:
    """Launch the resubmission of the stored run ``rec`` on the backend it ran on; returns
    ``(new run name, handle)`` as :func:`jupyter_flow.launch.launch` does."""
    backend = launch.choose_backend(rec.backend)
    if not memoized:
        return launch.launch(resubmission(rec.workflow), parameters=parameters, store=store, backend=backend,
                             detach=detach)
    backend.check_memoized_resubmit(rec.name)
    if rec.phase not in FAILED_OR_ERROR:
        raise JupyterFlowError(f"workflow {rec.name!r} is {rec.phase}: workflow must be Failed/Error to "
                               "resubmit in memoized mode")
    doc = launch.prepare(resubmission(rec.workflow), backend, store, parameters=parameters)
    name = launch.record(doc.data, store, backend)
    kept = memoized_nodes(rec.name, name, store.get_nodes(rec.name))
    store.save(name, nodes=list(kept.values()))
    return name, launch.begin(name, doc.data, store, backend, detach=detach, previous_nodes=kept)
