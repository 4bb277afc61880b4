"""Functions Argo adds to every expression environment (``util/expr/env/env.go``).

``asInt``/``asFloat`` alias expr's ``int``/``float``; ``toJson`` is ``json.Marshal`` (compact,
HTML-escaped, sorted keys); ``jsonpath(json, path)`` decodes its first argument (numbers become
floats, as in Go) and queries it; ``sprig`` is a map of sprig functions. ``string`` is expr's
builtin (``%v`` formatting).
"""
from __future__ import annotations

import json
from typing import Any, Callable

from .builtins import to_float, to_int
from .sprig import FUNCS as SPRIG
from .values import EvalError, ScopeNode, as_text, to_json, type_name


def _jsonpath_fn(document: Any, path: Any) -> Any:
    text = as_text(document)
    if not isinstance(text, str):
        raise EvalError(f"jsonpath: first argument must be a JSON string, got {type_name(text)}")
    if not isinstance(as_text(path), str):
        raise EvalError(f"jsonpath: path must be a string, got {type_name(path)}")
    try:
        decoded = json.loads(text, parse_int=float)
    except RecursionError:
        raise EvalError("jsonpath: document nested too deeply") from None
    except ValueError as e:
        raise EvalError(f"jsonpath: invalid JSON document: {e}") from None
    from .jsonpath import query  # lazy: most workflows never call jsonpath
    return query(decoded, as_text(path))


def _to_json(v: Any) -> str:
    if type(v) is ScopeNode:
        return v.text if _is_json(v.text) else to_json(v.text)
    return to_json(v)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
        return True
    except ValueError:
        return False


ARGO_FUNCTIONS: dict[str, Callable[..., Any] | dict] = {
    "asInt": to_int,
    "asFloat": to_float,
    "toJson": _to_json,
    "jsonpath": _jsonpath_fn,
    "sprig": dict(SPRIG),
}
