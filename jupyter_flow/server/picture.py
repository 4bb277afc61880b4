"""``GET runs/NAME/graph``: the run's picture for the lab's run view, from the one source the
notebook widget draws too (``jupyter_flow.picture``): grouped elements with kernel-side positions,
the stylesheet, and the run without its nodes (so a 100,000-node run is not sent to the page).

Query: ``open=GROUP`` (repeatable: each one a click on that group, ``PAGE`` more members),
``find=TEXT`` (a node by name or phase: its groups open and its id comes back as ``found``),
``reveal=ID`` (repeatable: nodes a search found earlier, kept drawn on the next polls),
``node=ID`` (the one node whose full status the side panel shows, in ``wf.status.nodes``).
Every value is only compared with the run's ids and names, never used as a path.
"""
from __future__ import annotations

from typing import Any

from ..picture.groups import Picture
from ..picture.style import stylesheet
from ..picture.wire import graph_json

MAX_OPEN = 1000          # group clicks in one request
MAX_TEXT = 4096


class PictureRequestError(ValueError):
    """A query the endpoint refuses (400)."""


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise PictureRequestError(f"{what}: expected text of at most {MAX_TEXT} characters")
    return value


def read_run(manager, name: str) -> dict:
    """The run as a Workflow with ``status.nodes``, reading each node row once: a live run from its
    controller; a stored one from its row (without nodes) and its node rows (``Run.to_dict`` reads
    the node rows twice, which is 100,000 JSON documents more per poll of a big run)."""
    from ..errors import RunNotFound
    from .manager import ManagerError
    run = manager._run(name)
    if run.controller is not None:
        try:
            return run.to_dict()
        except RunNotFound as exc:
            raise ManagerError(404, str(exc)) from None
    store = run.store
    rec = store.get_run(run.name, with_nodes=False)
    rec = rec and manager._record(store, rec)
    if rec is None:
        raise ManagerError(404, f"workflow {name!r} not found")
    status = dict(rec.status)
    status["phase"] = rec.phase
    if rec.message:
        status["message"] = rec.message
    status["nodes"] = store.get_nodes(run.name)
    return {**rec.workflow, "status": status}


def run_picture(wf: dict, *, opened: list[str] = (), find: str | None = None, node: str | None = None,
                reveal: list[str] = ()) -> dict:
    """The picture of ``wf`` (an Argo Workflow with ``status.nodes``), as the lab draws it."""
    if len(opened) > MAX_OPEN or len(reveal) > MAX_OPEN:
        raise PictureRequestError(f"open, reveal: at most {MAX_OPEN} each")
    name = str((wf.get("metadata") or {}).get("name") or "")
    status = dict(wf.get("status") or {})
    nodes = status.pop("nodes", None) or {}
    pic = Picture(name)
    for gid in opened:
        pic.view.open(_text(gid, "open"))
    for nid in reveal:
        pic.view.reveal(_text(nid, "reveal"))
        pic.found = nid                     # the last one found stays marked
    pic.set_nodes(nodes)
    found = pic.focus(_text(find, "find")[:200]) if find else None
    els = pic.elements
    if node is not None:
        _text(node, "node")
    status["nodes"] = {node: nodes[node]} if node in nodes else {}
    # Argo UI's isWorkflowSuspended looks at every node: the view, sent none of them, is told here
    waiting = status.get("phase") == "Running" and any(
        n.get("type") == "Suspend" and n.get("phase") == "Running" for n in nodes.values())
    return {"wf": {**wf, "status": status}, "graph": graph_json(els.nodes, els.edges.values()),
            "style": stylesheet(), "found": found, "total": len(nodes), "suspended": waiting}
