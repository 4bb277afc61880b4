"""``argo retry``: reset failed/errored nodes (and their ancestors) and run again.

Succeeded nodes keep their outputs and are not re-run; the exit handler runs again. An API
operation (``Run.retry``, ``jupyter-flow retry``) over the store and the engine, so it lives
beside ``api`` rather than in ``engine`` (the engine imports no surface).
"""
from __future__ import annotations

import os

from .errors import JupyterFlowError


def retry_run(run, wait: bool = False, detach: bool = False):
    from .api import start, start_detached
    store = run._store
    rec = run._record()
    if rec.phase not in ("Failed", "Error"):
        raise JupyterFlowError(f"workflow {run.name!r} is {rec.phase}: only Failed or Error runs can be retried")
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
    from .api import Run
    if detach:
        start_detached(run.name, store, retry=True)
        return Run(run.name, store=store)
    ctl = start(run.name, rec.workflow, store, previous_nodes=keep)
    result = Run(run.name, store=store, controller=ctl)
    if wait:
        result.wait()
    return result
