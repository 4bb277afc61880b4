"""Finding a run's nodes by what a user types: an id, a full name, a display name, a pod name.

An id and a full node name (``wf.steps[1].generate``) name one node; a display name
(``generate``) may name several, so it is a shortcut that refuses to guess (:class:`AmbiguousNode`).
``Run.outputs`` (:class:`NodeOutputs`) is keyed by node id and takes the same selectors.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Callable, Iterator

from .errors import AmbiguousNode


def matching(nodes: Mapping[str, dict], selector: str, pod_name: Callable[[dict], str] | None = None) -> list[dict]:
    """The nodes ``selector`` names: its id, else its full name, else every node with that
    display name, else (with ``pod_name``) the pod of that name."""
    if selector in nodes:
        return [nodes[selector]]
    for key in ("name", "displayName"):
        found = [n for n in nodes.values() if n.get(key) == selector]
        if found:
            return found
    if pod_name is not None:
        return [n for n in nodes.values() if n.get("type") == "Pod" and pod_name(n) == selector]
    return []


def one(nodes: Mapping[str, dict], selector: str, pod_name: Callable[[dict], str] | None = None) -> dict | None:
    """The single node ``selector`` names, None for none; :class:`AmbiguousNode` for several."""
    found = matching(nodes, selector, pod_name)
    if len(found) > 1:
        raise AmbiguousNode(selector, sorted((n.get("id", ""), n.get("name", "")) for n in found))
    return found[0] if found else None


class NodeOutputs(Mapping):
    """The outputs of a run's nodes keyed by node id, plus the workflow's global outputs under
    ``"workflow"``. Looking up a full node name, or a display name that only one node with outputs
    has, works too; a display name several such nodes share raises :class:`AmbiguousNode`."""

    def __init__(self, nodes: Mapping[str, dict], global_outputs: dict | None):
        self._nodes = {nid: n for nid, n in nodes.items() if n.get("outputs")}
        self._data = {nid: n["outputs"] for nid, n in self._nodes.items()}
        if global_outputs:
            self._data["workflow"] = global_outputs

    def __getitem__(self, key: str) -> dict:
        if key in self._data:
            return self._data[key]
        node = one(self._nodes, key) if isinstance(key, str) else None
        if node is None:
            raise KeyError(key)
        return node["outputs"]

    def __contains__(self, key: object) -> bool:
        try:
            self[key]   # type: ignore[index]
        except AmbiguousNode:
            return True
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"NodeOutputs({self._data!r})"
