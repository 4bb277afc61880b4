"""A sweep's points: a grid expanded and checked before anything is created.

A grid is ``{"lr": [0.1, 0.01], "depth": [3, 5]}`` (every combination, the first key varying
slowest, as ``itertools.product``) or a list of parameter dicts (one point each). Each name must
be a parameter the workflow declares in ``spec.arguments.parameters`` (a typo would otherwise
run the whole sweep on the default value); each value becomes a string as an Argo parameter is
(numbers and booleans as JSON writes them: ``0.1``, ``true``). Every problem is reported at
once, as a :class:`~jupyter_flow.errors.SpecError` whose entries name the grid entry.
"""
from __future__ import annotations

import itertools
import json
import random
import re
from typing import Any, Iterable, Mapping

from ..errors import LintError, SpecError

LABEL = "jupyter-flow.io/experiment"
MAX_POINTS = 10_000          # a sweep is a handful to a few thousand runs; more is a mistake
MAX_VALUE = 256 * 1024       # one parameter value, as text
_LABEL_VALUE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?")
_SUFFIX = "bcdfghjklmnpqrstvwxz2456789"


def param_value(value: Any) -> str | None:
    """An Argo parameter's text for ``value``; None for a value a parameter cannot hold."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (bytes, bytearray, set, frozenset)):
        return None
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):   # an object JSON cannot write, NaN/inf
        return None


def declared_parameters(workflow: dict) -> list[str]:
    """The names in ``spec.arguments.parameters`` (after a workflowTemplateRef is joined)."""
    params = ((workflow.get("spec") or {}).get("arguments") or {}).get("parameters") or []
    return [p.get("name") for p in params if isinstance(p, dict) and isinstance(p.get("name"), str)]


def expand(grid: Any, declared: Iterable[str], *, source: str = "<sweep>") -> list[dict[str, str]]:
    """The points of ``grid``, each ``{parameter: text}``; a SpecError lists every problem."""
    known = list(declared)
    errors: list[LintError] = []

    def bad(path: str, message: str) -> None:
        errors.append(LintError(message, path=path, file=source))

    def check_point(point: Mapping, path: str) -> dict[str, str] | None:
        out: dict[str, str] = {}
        for key, value in point.items():
            where = f"{path}[{key!r}]"
            if not isinstance(key, str) or key not in known:
                bad(where, f"{key!r} is not a parameter of the workflow (spec.arguments.parameters: "
                           f"{', '.join(known) or 'none'})")
                continue
            text = param_value(value)
            if text is None:
                bad(where, f"expected a string, number, boolean, list or dict value, got {type(value).__name__}")
            elif len(text) > MAX_VALUE:
                bad(where, f"a value of {len(text):,} characters; at most {MAX_VALUE:,}")
            else:
                out[key] = text
        return out

    points: list[dict[str, str]] = []
    if isinstance(grid, Mapping):
        if not grid:
            bad("grid", "an empty grid has no points: give {parameter: [values...]}")
        axes = []
        for key, values in grid.items():
            if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple, range)):
                bad(f"grid[{key!r}]", f"expected a list of values, got {type(values).__name__}"
                    + (" (a string is one value: put it in a list)" if isinstance(values, str) else ""))
                continue
            if not values:
                bad(f"grid[{key!r}]", "an empty list: the grid would have no points")
                continue
            axes.append([(key, v) for v in values])
        total = 1
        for axis in axes:
            total *= len(axis)
        if total > MAX_POINTS:
            bad("grid", f"{total:,} points; a sweep has at most {MAX_POINTS:,}")
        elif not errors:
            for combo in itertools.product(*axes):
                points.append(check_point(dict(combo), "grid"))
    elif isinstance(grid, (list, tuple)):
        if not grid:
            bad("grid", "an empty list has no points: give [{parameter: value}, ...]")
        if len(grid) > MAX_POINTS:
            bad("grid", f"{len(grid):,} points; a sweep has at most {MAX_POINTS:,}")
        else:
            for i, point in enumerate(grid):
                if not isinstance(point, Mapping):
                    bad(f"grid[{i}]", f"expected a dict of parameter values, got {type(point).__name__}")
                    continue
                points.append(check_point(point, f"grid[{i}]"))
    else:
        bad("grid", f"expected a dict of value lists or a list of parameter dicts, got {type(grid).__name__}")
    if errors:
        # one message per distinct problem: a bad key in a 1,000-point product is one mistake
        seen: dict[str, LintError] = {}
        for e in errors:
            seen.setdefault(re.sub(r"^grid\[\d+\]", "grid[...]", e.path) + e.message, e)
        raise SpecError(list(seen.values()))
    return points


def check_name(name: Any, *, source: str = "<sweep>") -> str:
    """An experiment name is a Kubernetes label value: it is stored as a label on every run and
    carried to a cluster unchanged."""
    if not isinstance(name, str) or not _LABEL_VALUE.fullmatch(name):
        raise SpecError([LintError(f"{name!r} is not a valid experiment name: at most 63 characters of "
                                   f"A-Z a-z 0-9 . _ -, beginning and ending with a letter or digit (a label value)",
                                   path="name", file=source)])
    return name


def base_name(workflow: dict) -> str:
    """A prefix for a sweep's names from the workflow's ``generateName`` or ``name``."""
    meta = workflow.get("metadata") or {}
    base = str(meta.get("generateName") or meta.get("name") or "sweep")
    base = re.sub(r"[^A-Za-z0-9._-]", "-", base).strip("-._") or "sweep"
    return base


def new_experiment_name(workflow: dict) -> str:
    """``<base>-<5 letters>``, cut so that it stays a valid label value."""
    suffix = "".join(random.choice(_SUFFIX) for _ in range(5))
    base = base_name(workflow)[:63 - 6].rstrip("-._") or "sweep"
    return check_name(f"{base}-{suffix}")


def parse_sweep_args(pairs: Iterable[str], *, source: str = "--sweep") -> dict[str, list[str]]:
    """``["lr=0.1,0.01", "depth=3,5"]`` (the CLI's and the magic's ``--sweep``) -> a grid."""
    grid: dict[str, list[str]] = {}
    errors = []
    for pair in pairs:
        key, eq, values = pair.partition("=")
        key = key.strip()
        if not eq or not key:
            errors.append(LintError(f"expected NAME=V1,V2,..., got {pair!r}", file=source))
            continue
        if key in grid:
            errors.append(LintError(f"{key!r} is given twice", file=source))
            continue
        grid[key] = values.split(",")
    if errors:
        raise SpecError(errors)
    return grid
