"""Executor backends (``local``, ``container``, ``dask``, ``kubernetes``): the embedded engine
walks the Workflow and the backend's executor runs its steps, so the node tree, logs and outputs
are a local run's. The run is owned by the process whose engine runs it: this one (``start``), or
an engine process of its own (``detach``), steered through the store's request table.
"""
from __future__ import annotations

import os
import time
from typing import Any

from ..errors import JupyterFlowError
from ..phases import FAILED_OR_ERROR
from .base import Backend


def _on_loop(ctl) -> bool:
    """Is this code running on ``ctl``'s event loop (a hook, a callback of the engine)?"""
    import asyncio
    try:
        return asyncio.get_running_loop() is ctl.loop
    except RuntimeError:
        return False


class EngineBackend(Backend):
    """The embedded engine with this backend's executor."""

    def make_executor(self, settings: dict | None = None):
        cls = self.load()
        return cls.from_settings(dict(settings or {})) if hasattr(cls, "from_settings") else cls()

    def _controller(self, name: str, workflow: dict, store, uid: str):
        from ..engine.controller import Controller
        from ..store.db import registry_for
        from .registry import settings_for
        return Controller(workflow, name=name, store=store, uid=uid, registry=registry_for(store),
                          executor=self.make_executor(settings_for(self.name)))

    def start(self, name: str, workflow: dict, store, *, previous_nodes: dict | None = None):
        from ..engine.controller import run_in_thread
        ctl = self._controller(name, workflow, store, (workflow.get("metadata") or {}).get("uid", ""))
        if previous_nodes:
            ctl.preload(previous_nodes)
        run_in_thread(ctl)
        return ctl

    def detach(self, name: str, workflow: dict, store, *, retry: bool = False) -> None:
        self.spawn(name, store, retry=retry)
        return None

    def serve(self, rec, store) -> str:
        import asyncio
        ctl = self._controller(rec.name, rec.workflow, store, rec.uid)
        if rec.nodes:
            ctl.preload(rec.nodes)
        return asyncio.run(ctl.run())

    def control(self, run, action: str, payload: dict) -> None:
        """To the engine of this process directly; to another process's engine through the store,
        waiting a while for the answer to a request the engine may refuse (resume, set)."""
        ctl = run.controller
        if ctl is not None and not ctl.done.is_set():
            answer = ctl.request(action, payload)
            if not _on_loop(ctl):   # on the engine's own thread the answer comes after we return
                import concurrent.futures
                try:
                    refused = answer.result(timeout=5)
                except concurrent.futures.TimeoutError:   # a busy engine: the request still stands
                    refused = None
                if refused:
                    raise JupyterFlowError(f"{action} {run.name}: {refused}")
            return
        if run.finished:
            raise JupyterFlowError(f"workflow {run.name!r} has already finished ({run.phase})")
        store = run.store
        seq = store.request(run.name, action, payload)
        if action in ("resume", "set"):   # the requests an engine may refuse: wait for its answer a while
            deadline = time.monotonic() + 3.0
            while time.monotonic() < deadline:
                refused = store.request_answer(seq)
                if refused is not None:
                    if refused:
                        raise JupyterFlowError(f"{action} {run.name}: {refused}")
                    return
                time.sleep(0.05)

    def retry(self, run, *, detach: bool = False) -> Any:
        """Failed and errored nodes (and their ancestors) are dropped and run again; succeeded pods
        and suspend nodes keep their outputs and are not re-run; the exit handler runs again."""
        from ..spec.names import check_run_name
        store = run.store
        rec = store.get_run(run.name, with_nodes=False)
        if rec.phase not in FAILED_OR_ERROR:
            raise JupyterFlowError(f"workflow {run.name!r} is {rec.phase}: only Failed or Error runs can be retried")
        check_run_name(run.name)   # a row an older version stored under a name that is not a path: before any change
        nodes = store.get_nodes(run.name)
        keep = {nid: n for nid, n in nodes.items() if n.get("phase") == "Succeeded"
                and n.get("type") in ("Pod", "Suspend") and ".onExit" not in n.get("name", "")}
        # containers of kept nodes are re-walked, so they restart from scratch (children re-linked on the way)
        for n in keep.values():
            n["children"] = [c for c in n.get("children") or [] if c in keep]
        with store._lock:
            store._write(lambda c: c.execute("DELETE FROM nodes WHERE run=?", (run.name,)))
        # this process owns the run from now on (a detached engine takes it over in spawn): left at
        # the first submitter's pid, another process's reader would take the retry for an orphan
        store.save(run.name, run_fields={"phase": "Running", "message": "", "finished_at": None,
                                         "status": {"phase": "Running"}, "owner_pid": os.getpid()},
                   nodes=list(keep.values()))
        if detach:
            return self.detach(run.name, rec.workflow, store, retry=True)
        return self.start(run.name, rec.workflow, store, previous_nodes=keep)

    def delete(self, run) -> None:
        if not run.finished:
            run.terminate()
            run.wait(10)
