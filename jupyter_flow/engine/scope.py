"""Variables a template can see, built the way Argo builds them.

A scope is a flat ``{dotted name: string}`` mapping (``steps.A.outputs.result``), which is
what ``{{...}}`` substitution reads; expression tags get the same values nested.
"""
from __future__ import annotations

import json
from typing import Any, Iterable

from .nodes import RETRY, Node, iso


def to_str(value: Any) -> str:
    """Argo's string form of a parameter value: strings raw, everything else JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    if value is None:
        return ""
    return json.dumps(value, separators=(",", ":"))


def add_node(scope: dict, prefix: str, node: Node, nodes: dict[str, Node]) -> None:
    """Argo's buildLocalScope: id, status, times, exitCode and outputs under ``prefix``."""
    if node.type == RETRY and node.children:
        node = nodes[node.children[-1]]
    scope[f"{prefix}.id"] = node.id
    if node.started_at is not None:
        scope[f"{prefix}.startedAt"] = iso(node.started_at)
    if node.finished_at is not None:
        scope[f"{prefix}.finishedAt"] = iso(node.finished_at)
    scope[f"{prefix}.status"] = node.phase
    scope[f"{prefix}.ip"] = "127.0.0.1"
    scope[f"{prefix}.hostNodeName"] = node.host_node_name or "localhost"
    add_outputs(scope, prefix, node.outputs)


def add_outputs(scope: dict, prefix: str, outputs: dict | None) -> None:
    """Artifacts enter the scope as their JSON record; ``from:`` references parse it back."""
    if not outputs:
        return
    if prefix != "workflow":
        if outputs.get("result") is not None:
            scope[f"{prefix}.outputs.result"] = outputs["result"]
        if outputs.get("exitCode") is not None:
            scope[f"{prefix}.exitCode"] = outputs["exitCode"]
    for p in outputs.get("parameters") or ():
        if "value" in p:
            scope[f"{prefix}.outputs.parameters.{p['name']}"] = p["value"]
    for a in outputs.get("artifacts") or ():
        scope[f"{prefix}.outputs.artifacts.{a['name']}"] = json.dumps(a, separators=(",", ":"))


def _json_or_str(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, TypeError):
        return text


def add_aggregate(scope: dict, prefix: str, children: Iterable[Node], tmpl_type: str) -> None:
    """Argo's processAggregateNodeOutputs: looped outputs as JSON lists of successful children."""
    params: list[dict] = []
    per_name: dict[str, list] = {}
    results: list = []
    for child in children:
        out = child.outputs
        if not out or child.phase != "Succeeded" or child.type == RETRY:
            continue
        if out.get("parameters"):
            row = {}
            for p in out["parameters"]:
                value = p.get("value", "")
                row[p["name"]] = value
                per_name.setdefault(p["name"], []).append(_json_or_str(value))
            params.append(row)
        if out.get("result") is not None:
            results.append(_json_or_str(out["result"]))
    if tmpl_type in ("script", "containerSet"):
        scope[f"{prefix}.outputs.result"] = json.dumps(results, separators=(",", ":"))
    scope[f"{prefix}.outputs.parameters"] = json.dumps(params, separators=(",", ":"))
    for name, values in per_name.items():
        scope[f"{prefix}.outputs.parameters.{name}"] = json.dumps(values, separators=(",", ":"))
