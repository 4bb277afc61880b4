"""What the argo backend takes in from a cluster: ``status.nodes`` in the shape the store and every view
rely on.

Argo's CRDs (the minimal ones of the quick-start) do not validate ``status``, so anyone allowed to patch a
Workflow's status in that namespace decides what this backend reads. A node that is not a mapping, whose
id is not its key, or whose fields have the wrong types made the picture answer 500 and the follow thread
crash on ``n["id"]``. Here such a node is dropped, and a field of the wrong type is left out (as if the
controller had not set it); text fields stay text (views escape them)."""
from __future__ import annotations

from typing import Any

from ...phases import NODE_PHASES

_TEXT = ("name", "displayName", "type", "templateName", "boundaryID", "message", "startedAt", "finishedAt",
         "podIP", "hostNodeName", "progress", "templateScope")
_LISTS = ("children", "outboundNodes")
_MAPS = ("inputs", "outputs", "templateRef", "memoizationStatus", "resourcesDuration", "synchronizationStatus")


def sane_status(obj: Any) -> dict:
    """A Workflow's ``status`` as a dict (an object without one, or with a non-mapping, has none)."""
    status = obj.get("status") if isinstance(obj, dict) else None
    return status if isinstance(status, dict) else {}


def sane_nodes(status: dict) -> dict[str, dict]:
    """``status.nodes`` keeping only well-formed nodes: a mapping whose ``id`` is its (non-empty, text)
    key, text fields as text, ``children``/``outboundNodes`` as lists of ids, ``inputs``/``outputs`` as
    mappings, and a phase Argo has (another is left out: the views read it as Pending)."""
    nodes = status.get("nodes")
    if not isinstance(nodes, dict):
        return {}
    out: dict[str, dict] = {}
    for key, node in nodes.items():
        if not isinstance(key, str) or not key or not isinstance(node, dict):
            continue
        if node.get("id", key) != key:
            continue
        clean = dict(node, id=key)
        for field in _TEXT:
            if field in clean and not isinstance(clean[field], str):
                del clean[field]
        if "phase" in clean and clean["phase"] not in NODE_PHASES:
            del clean["phase"]
        for field in _LISTS:
            if field in clean:
                value = clean[field]
                if isinstance(value, list):
                    clean[field] = [c for c in value if isinstance(c, str) and c]
                else:
                    del clean[field]
        for field in _MAPS:
            if field in clean and not isinstance(clean[field], dict):
                del clean[field]
        out[key] = clean
    return out
