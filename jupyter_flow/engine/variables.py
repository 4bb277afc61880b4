"""Variables a template can see, built the way Argo builds them.

A scope is a flat ``{dotted name: string}`` mapping (``steps.A.outputs.result``), which is
what ``{{...}}`` substitution reads; expression tags get the same values nested.
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterable

from .. import expr
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
    return go_json(value)


_GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_GO_ESCAPE_RE = re.compile("[<>&\u2028\u2029]")


def go_json(value: Any) -> str:
    """Compact JSON as Go's ``json.Marshal`` writes it (Argo's ``{{item}}`` of a map or list, a
    list-valued parameter): non-ASCII text as UTF-8 (Python would write ``caf\\u00e9``), and
    ``<``, ``>``, ``&``, U+2028/9 escaped as ``\\u003c``... (Go's HTML-safe escaping; outside
    strings JSON has none of these characters, so replacing them in the text is exact)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return _GO_ESCAPE_RE.sub(lambda m: _GO_ESCAPES[m.group()], text)


def param_text(value: Any) -> str:
    """A parameter given at submit (``-f`` file, ``submit(parameters=...)``) as Argo's CLI sends it:
    strings as they are, anything else as compact JSON (util.ReadParametersFile keeps the YAML's
    JSON form: ``[1,"a"]``, ``true``, ``null``), so a list is ``[1,"a"]``, not Python's ``[1, "a"]``."""
    return "null" if value is None else to_str(value)


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
    scope[f"{prefix}.ip"] = node.pod_ip or "127.0.0.1"   # a daemon's (a cluster Pod's IP on kubernetes)
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


# Argo's common.AbsentOptionalArgumentValue: an argument that was a pure reference to a skipped
# or omitted node's output with no producer default. ProcessArgs treats it as unsupplied.
ABSENT_ARG = "__argo-internal.absent-optional-output__"


def add_skipped_outputs(scope: dict, prefix: str, node: Node, tmpl: dict | None) -> None:
    """Argo's addSkippedNodeOutputsToScope: a Skipped/Omitted node that produced no outputs still
    exposes its template's declared output parameters: the producer's ``valueFrom.default`` when
    declared, else an absent optional (``None``: ``??`` sees nil, a pure argument reference
    falls back to the consumer's input default, anything else fails)."""
    if node is None or node.outputs or node.phase not in ("Skipped", "Omitted") or not tmpl:
        return
    for p in (tmpl.get("outputs") or {}).get("parameters") or []:
        vf = p.get("valueFrom") or {}
        key = f"{prefix}.outputs.parameters.{p.get('name')}"
        scope[key] = to_str(vf["default"]) if vf.get("default") is not None else None


def mark_absent_args(holder: dict, scope) -> dict:
    """Argo's markAbsentOptionalArgs: before substitution, an argument whose value is exactly
    ``{{ key }}`` with ``key`` an absent optional becomes :data:`ABSENT_ARG`."""
    params = (holder.get("arguments") or {}).get("parameters") or []
    marked = None
    for i, p in enumerate(params):
        v = p.get("value")
        if not isinstance(v, str) or not (v.startswith("{{") and v.endswith("}}")):
            continue
        key = v[2:-2].strip()
        if "{{" in key or "}}" in key or key.startswith("="):
            continue
        try:
            absent = key in scope and scope[key] is None
        except KeyError:
            absent = False
        if absent:
            if marked is None:
                marked = [dict(q) for q in params]
            marked[i]["value"] = ABSENT_ARG
    if marked is None:
        return holder
    out = dict(holder)
    out["arguments"] = dict(holder.get("arguments") or {}, parameters=marked)
    return out


def resolve_step(ctl, holder: dict, scope) -> dict:
    """A step or DAG task as it runs: absent optional arguments marked, then tags substituted.

    Unmarked, ``holder`` is the template's own object, whose "has a tag?" answer the controller
    keeps (``Controller.substitute``); a marked copy is new each time, so it is substituted as is.
    """
    marked = mark_absent_args(holder, scope)
    return ctl.substitute(holder, scope) if marked is holder else expr.substitute_obj(marked, scope)


def _json_or_str(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, TypeError):
        return text


def _aggregated_values(values: list[str]) -> str:
    """Argo's aggregatedJSONValueList: a JSON list of the values, parsed only if *all* of them are
    JSON lists/maps; otherwise a list of the strings (``["1","2"]``, never ``[1,2]``)."""
    parsed = []
    for v in values:
        try:
            item = json.loads(v)
        except (ValueError, TypeError):
            break
        if not isinstance(item, (list, dict)):
            break
        parsed.append(item)
    else:
        return json.dumps(parsed, separators=(",", ":"))
    return json.dumps(values, separators=(",", ":"))


def add_aggregate(scope: dict, prefix: str, children: Iterable[Node], tmpl_type: str = "") -> str | None:
    """Argo's processAggregateNodeOutputs: looped outputs as JSON lists of successful children.

    Children come in loop-index order. ``outputs.result`` is a list of each result parsed as JSON
    (Argo unmarshals every result into an Item). When a result is not JSON it is left unset and
    Go's error is returned: Argo fails on it only where it captured the results, i.e. where the
    parent template references them (:func:`result_referenced`); the caller decides.
    ``outputs.parameters`` is a list of {name: value} maps of strings;
    ``outputs.parameters.<name>`` see :func:`_aggregated_values`.
    """
    children = list(children)
    if not children:   # Argo adds nothing to the scope for a loop that expanded to no children
        return None
    params: list[dict] = []
    per_name: dict[str, list[str]] = {}
    results: list = []
    results_ok = True
    error = None
    for child in children:
        out = child.outputs
        if not out or child.phase != "Succeeded":
            continue
        if out.get("parameters"):
            row = {}
            for p in out["parameters"]:
                value = to_str(p.get("value", ""))
                row[p["name"]] = value
                per_name.setdefault(p["name"], []).append(value)
            params.append(row)
        if out.get("result") is not None:
            try:
                results.append(json.loads(out["result"]))
            except (ValueError, TypeError):
                if results_ok:
                    error = go_json_error(str(out["result"]))
                results_ok = False
    if results_ok:
        scope[f"{prefix}.outputs.result"] = json.dumps(results, separators=(",", ":"))
    else:
        scope.pop(f"{prefix}.outputs.result", None)
    scope[f"{prefix}.outputs.parameters"] = json.dumps(params, separators=(",", ":"))
    for name, values in per_name.items():
        scope[f"{prefix}.outputs.parameters.{name}"] = _aggregated_values(values)
    return error


def result_referenced(parent: dict, name: str) -> bool:
    """Argo's hasOutputResultRef: does the steps/DAG template ``parent`` mention
    ``steps.<name>.outputs.result`` (``tasks.`` in a DAG), as a tag or in an expression
    (``steps['<name>'].outputs.result``)? Argo captures a step's stdout only then."""
    kind = "tasks" if "dag" in parent else "steps"
    text = json.dumps(parent, separators=(",", ":"))
    n = re.escape(name)
    return bool(re.search(rf"{kind}\.{n}\.outputs\.result", text)
                or re.search(rf"{kind}\[['\"]{n}['\"]\]\.outputs.result", text))


def _innermost(prefix: str) -> str:
    """The container (``[`` or ``{``) open at the end of ``prefix``, strings skipped."""
    stack: list[str] = []
    in_str = escaped = False
    for ch in prefix:
        if in_str:
            escaped, in_str = (False, True) if escaped else (ch == "\\", ch != '"')
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            stack.append(ch)
        elif ch in "]}" and stack:
            stack.pop()
    return stack[-1] if stack else ""


_GO_EXPECTING = {"Expecting value": "looking for beginning of value",
                 "Expecting property name enclosed in double quotes": "looking for beginning of object key string",
                 "Expecting ':' delimiter": "after object key",
                 "Expecting ',' delimiter": "after object key:value pair",
                 "Extra data": "after top-level value"}


def go_json_error(text: str) -> str:
    """The message Go's ``json.Unmarshal`` gives for ``text`` (what Argo reports), from Python's."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text) or not text.strip() or exc.msg.startswith("Unterminated"):
            return "unexpected end of JSON input"
        where = _GO_EXPECTING.get(exc.msg, "in JSON")
        if where == "after object key:value pair" and _innermost(text[:exc.pos]) == "[":
            where = "after array element"
        return f"invalid character {text[exc.pos]!r} {where}"
    except (ValueError, TypeError) as exc:
        return str(exc)
    return ""
