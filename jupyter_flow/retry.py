"""``argo retry`` and ``argo resubmit --memoized``: run a failed workflow again without re-running
what succeeded.

``retry`` resets failed/errored nodes (and their ancestors) of the same run: succeeded nodes keep
their outputs and are not re-run; the exit handler runs again. ``resubmit --memoized`` does the
same in a new run: each succeeded pod of the old one becomes a Skipped node of the new one
("original pod: <id>", its outputs kept), as util.FormulateResubmitWorkflow does. API operations
(``Run.retry``, ``Run.resubmit``, the CLI) over the store and the engine, so they live beside
``api`` rather than in ``engine`` (the engine imports no surface).
"""
from __future__ import annotations

import os
import time

from .errors import JupyterFlowError


def retry_run(run, wait: bool = False, detach: bool = False):
    from .spec.names import check_run_name
    store = run._store
    rec = run._record()
    if rec.phase not in ("Failed", "Error"):
        raise JupyterFlowError(f"workflow {run.name!r} is {rec.phase}: only Failed or Error runs can be retried")
    check_run_name(run.name)   # a row an older version stored under a name that is not a path: before any change
    nodes = store.get_nodes(run.name)
    keep = {nid: n for nid, n in nodes.items() if n.get("phase") == "Succeeded" and n.get("type") in ("Pod", "Suspend")
            and ".onExit" not in n.get("name", "")}
    # containers of kept nodes are re-walked, so they restart from scratch (children re-linked on the way)
    for n in keep.values():
        n["children"] = [c for c in n.get("children") or [] if c in keep]
    with store._lock:
        store._write(lambda c: c.execute("DELETE FROM nodes WHERE run=?", (run.name,)))
    status = {"phase": "Running"}
    # this process owns the run from now on (a detached engine takes it over in start_detached):
    # left at the first submitter's pid, another process's reader would take the retry for an
    # orphan and kill it
    store.save(run.name, run_fields={"phase": "Running", "message": "", "finished_at": None, "status": status,
                                     "owner_pid": os.getpid()},
               nodes=list(keep.values()))
    return _run_from(run.name, rec.workflow, store, keep, wait=wait, detach=detach)


def _run_from(name: str, workflow: dict, store, kept: dict[str, dict], *, wait: bool, detach: bool,
              backend: str | None = None):
    """Start run ``name`` from the ``kept`` nodes already in the store: in an engine process of its
    own (``detach``, which preloads them from the store) or on this process's engine thread."""
    from .api import Run, start, start_detached
    if detach:
        start_detached(name, store, retry=True)
        return Run(name, store=store)
    result = Run(name, store=store, controller=start(name, workflow, store, previous_nodes=kept, backend=backend))
    if wait:
        result.wait()
    return result


def memoized_nodes(old: str, new: str, nodes: dict[str, dict]) -> dict[str, dict]:
    """The nodes a memoized resubmission of run ``old`` as ``new`` starts from: its succeeded pods,
    renamed into ``new`` and turned into Skipped nodes that keep their outputs. The rest runs again
    (Argo marks it Pending), the exit handler's nodes too."""
    from .engine.nodes import iso, node_id

    def renamed(name: str) -> str:
        return new + name[len(old):] if name.startswith(old) else name

    def new_id(nid: str) -> str:
        node = nodes.get(nid)
        return node_id(new, renamed(node["name"])) if node else nid

    now = iso(time.time())
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


def resubmit_memoized(run, *, parameters=None, wait: bool = False, detach: bool = False):
    """``argo resubmit --memoized``: a new run of a Failed or Error run's Workflow that reuses its
    succeeded pods' outputs instead of running them again."""
    from .api import create, resubmission
    rec = run._record()
    if rec.phase not in ("Failed", "Error"):
        raise JupyterFlowError(f"workflow {run.name!r} is {rec.phase}: workflow must be Failed/Error to "
                               "resubmit in memoized mode")
    store = run._store
    name, wf = create(resubmission(rec.workflow), parameters=parameters, store=store, backend=rec.backend)
    kept = memoized_nodes(run.name, name, store.get_nodes(run.name))
    store.save(name, nodes=list(kept.values()))
    return _run_from(name, wf, store, kept, wait=wait, detach=detach and not wait, backend=rec.backend)
