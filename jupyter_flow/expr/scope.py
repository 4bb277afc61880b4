"""From Argo's flat variable scope to the nested environment expressions see.

Argo keeps variables as a flat ``map[string]string`` (``steps.A.outputs.result``) and, for
expressions, expands it into nested maps (``util/expand``) so that ``steps['A'].outputs.result``
works. When a key is both a leaf and a prefix (``item`` = ``'{"a":1}'`` and ``item.a`` = ``'1'``;
``inputs.parameters`` (JSON) and ``inputs.parameters.x``; ``workflow.creationTimestamp`` and
``workflow.creationTimestamp.RFC3339``) Argo drops the leaf. We keep the nested map too, but as a
``ScopeNode`` that remembers the leaf text, so string uses still get the original value.
"""
from __future__ import annotations

from typing import Any, Mapping

from .functions import ARGO_FUNCTIONS
from .values import ScopeNode, to_json


def nested_env(flat_scope: Mapping[str, Any]) -> dict:
    """Expand dotted keys into nested dicts (see module docstring for leaf/prefix conflicts).

    A ``None`` value is kept as a present-but-nil leaf (an absent optional output), so that
    ``tasks.A.outputs.parameters.p ?? 'default'`` evaluates to the default.
    """
    root: dict = {}
    # Shorter keys first, so a parent leaf exists before its children are attached.
    for key in sorted(flat_scope, key=lambda k: k.count(".")):
        value = flat_scope[key]
        parts = key.split(".")
        node = root
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = _as_node(child)
                node[part] = child
            node = child
        last = parts[-1]
        existing = node.get(last)
        if isinstance(existing, dict) and not isinstance(value, dict):
            node[last] = _as_node(value, existing)
        else:
            node[last] = dict(value) if type(value) is dict else value  # never mutate the caller's
    return root


def _as_node(leaf: Any, children: Mapping | None = None) -> dict:
    """A dict for a prefix that may also have been a leaf value."""
    if leaf is None:
        return dict(children or {})
    text = leaf if isinstance(leaf, str) else to_json(leaf)
    return ScopeNode(text, children or {})


def has_var(env: Mapping[str, Any], path: str) -> bool:
    """Argo's ``hasVarInEnv``: every segment exists (a present-but-nil leaf counts as present)."""
    if path in ARGO_FUNCTIONS or path == "$env":
        return True
    parts = path.split(".")
    if parts[0] == "sprig" and len(parts) == 2:
        return parts[1] in ARGO_FUNCTIONS["sprig"]  # type: ignore[operator]
    current: Any = env
    for part in parts:
        if not isinstance(current, dict) or part not in current:  # dict: fast, envs are dicts
            return False
        current = current[part]
    return True


def looks_flat(env: Mapping[str, Any]) -> bool:
    """True when ``env`` still has dotted keys and needs ``nested_env`` first."""
    return any("." in k for k in env)
