"""withItems / withParam / withSequence: one step or task becomes many (operator.go expandSequence)."""
from __future__ import annotations

import json
from typing import Any, Callable, Mapping

from .. import expr
from ..errors import JupyterFlowError
from .variables import go_json, to_str

LOOP_KEYS = ("withItems", "withParam", "withSequence")
#: most items one loop may expand to (``JUPYTER_FLOW_MAX_LOOP_ITEMS``): a typo such as
#: ``count: "1000000000"`` must end in a clear error, not in the engine allocating the range.
MAX_LOOP_ITEMS = 100_000


def max_loop_items() -> int:
    """``JUPYTER_FLOW_MAX_LOOP_ITEMS``, else ``limits.maxLoopItems`` in config.yaml, else 100,000."""
    from .. import config
    return config.limit("maxLoopItems", "JUPYTER_FLOW_MAX_LOOP_ITEMS", MAX_LOOP_ITEMS)


def _check_size(n: int, what: str) -> None:
    limit = max_loop_items()
    if n > limit:
        raise LoopError(f"{what} expands to {n} items; the limit is {limit} "
                        "(set JUPYTER_FLOW_MAX_LOOP_ITEMS or limits.maxLoopItems in config.yaml to raise it)")


class LoopError(JupyterFlowError):
    pass


def is_loop(step: dict) -> bool:
    return any(step.get(k) is not None for k in LOOP_KEYS)


def items_of(step: dict, scope: Mapping) -> list[Any]:
    if step.get("withItems") is not None:
        if isinstance(step["withItems"], list):
            _check_size(len(step["withItems"]), "withItems")
        return list(expr.substitute_obj(step["withItems"], scope))
    if step.get("withParam") is not None:
        raw = step["withParam"]
        text = expr.substitute(raw, scope) if isinstance(raw, str) else json.dumps(raw)
        try:
            value = json.loads(text)
        except ValueError:
            raise LoopError(f"withParam value could not be parsed as a JSON list: {text.strip()[:200]}") from None
        if not isinstance(value, list):
            raise LoopError(f"withParam value could not be parsed as a JSON list: {text.strip()[:200]}")
        _check_size(len(value), "withParam")
        return value
    seq = expr.substitute_obj(step["withSequence"], scope)
    return expand_sequence(seq)


def expand_sequence(seq: dict) -> list[str]:
    fmt = seq.get("format") or "%d"
    try:
        if seq.get("count") not in (None, ""):
            count = int(seq["count"])
            start = int(seq.get("start") or 0)
            end = start + count - 1
            _check_size(count, "withSequence")
            values = list(range(start, end + 1)) if count > 0 else []
        else:
            start, end = int(seq.get("start") or 0), int(seq.get("end") or 0)
            _check_size(abs(end - start) + 1, "withSequence")
            values = list(range(start, end + 1)) if start <= end else list(range(start, end - 1, -1))
    except (TypeError, ValueError):
        raise LoopError(f"withSequence: count, start and end must be integers, got {seq}") from None
    if seq.get("count") not in (None, "") and seq.get("end") not in (None, ""):
        raise LoopError("withSequence: only one of count or end can be defined")
    return [_go_printf(fmt, v) for v in values]


def _go_printf(fmt: str, value: int) -> str:
    py = fmt.replace("%v", "%d")
    try:
        return py % value
    except (TypeError, ValueError):
        raise LoopError(f"withSequence: invalid format {fmt!r}") from None


def item_vars(item: Any) -> tuple[dict[str, str], str]:
    """(``item``/``item.key`` variables, the label Argo puts in the node name)."""
    if isinstance(item, dict):
        variables = {f"item.{k}": to_str(v) for k, v in item.items()}
        variables["item"] = go_json(item)
        label = ",".join(sorted(f"{k}:{_go_fmt(v)}" for k, v in item.items()))
        return variables, label
    if isinstance(item, list):
        return {"item": go_json(item)}, "[" + " ".join(_go_fmt(v) for v in item) + "]"
    return {"item": to_str(item)}, to_str(item)


def _go_fmt(v: Any) -> str:
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{_go_fmt(x)}" for k, x in sorted(v.items())) + "]"
    if isinstance(v, list):
        return "[" + " ".join(_go_fmt(x) for x in v) + "]"
    return to_str(v)


def expand(step: dict, scope: Mapping, charge: Callable[[int], None] | None = None) -> list[tuple[str, dict]]:
    """[(child name, step with item variables substituted)] in item order; ``charge(n)`` is told
    the number of items before they are built (the run's budget, which may refuse)."""
    items = items_of(step, scope)
    if charge is not None:
        charge(len(items))
    body = {k: v for k, v in step.items() if k not in LOOP_KEYS}
    tagged = expr.has_tags(body)   # if not, every child is the body as it is (read-only)
    out = []
    for i, item in enumerate(items):
        variables, label = item_vars(item)
        child = expr.substitute_obj(body, _Overlay(variables, scope)) if tagged else body
        out.append((f"{step['name']}({i}:{label})", child))
    return out


class _Overlay(Mapping):
    """Item variables over the caller's scope, without copying the scope per item."""

    def __init__(self, top: dict, base: Mapping):
        self.top, self.base = top, base

    def __getitem__(self, key):
        if key in self.top:
            return self.top[key]
        return self.base[key]

    def __contains__(self, key):
        return key in self.top or key in self.base

    def __iter__(self):
        yield from self.top
        yield from (k for k in self.base if k not in self.top)

    def __len__(self):
        return len(set(self.top) | set(self.base))
