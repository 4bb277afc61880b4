"""``{{ name }}`` and ``{{= expr }}`` substitution (Argo ``util/template``).

Tags are found like fasttemplate does: from ``{{`` to the next ``}}``; a tag whose body starts with
``=`` is an expression tag. Substitution is one pass: inserted values are never re-scanned.

Simple tags look ``name.strip()`` up in the *flat* scope. Strings are inserted raw, other values as
Go-style JSON. A ``None`` value is a present-but-absent optional (a skipped producer's output
without default) and is an error, as in Argo. Unknown names stay as written with
``missing="keep"`` and raise with ``missing="error"``.

Expression tags follow Argo's ``expressionReplaceStrict``/``expressionReplaceCore``:

* a syntax error always raises;
* ``missing="error"``: a referenced variable path that is absent raises ("X is missing"), as does a
  runtime error or a nil result;
* ``missing="keep"``: the tag is left as written when a late-bound variable is absent (``item``,
  ``retries``, ``lastRetry.*``, ``workflow.status``, ``workflow.failures``), when a root name is
  unknown (expr would fail to compile), or when evaluation fails or yields nil — a later pass with
  more variables may resolve it. Absent member paths evaluate to nil (use ``??``).

Results: strings raw, other values ``json.Marshal``-style (``3``, ``1.5``, ``true``, ``["a","b"]``).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, NamedTuple

from ..errors import ExprError
from .exprlang import compile as compile_expr
from .scope import nested_env
from .values import EvalError, ScopeNode, rfc3339, to_json

LATE_BOUND = ("item", "retries", "lastRetry.exitCode", "lastRetry.status", "lastRetry.duration",
              "lastRetry.message", "workflow.status", "workflow.failures")
MAX_OBJ_DEPTH = 200


class Tag(NamedTuple):
    """One ``{{...}}`` occurrence: ``kind`` "simple"|"expr", ``body`` the variable name (stripped)
    or the expression text, ``start``/``end`` offsets of the whole tag in the text."""

    kind: str
    body: str
    start: int
    end: int


def tags(text: str) -> list[Tag]:
    """All tags in ``text``, in order (an unterminated ``{{`` is plain text)."""
    out: list[Tag] = []
    pos = 0
    while True:
        start = text.find("{{", pos)
        if start < 0:
            return out
        close = text.find("}}", start + 2)
        if close < 0:
            return out
        body = text[start + 2:close]
        if body.startswith("="):
            out.append(Tag("expr", body[1:], start, close + 2))
        else:
            out.append(Tag("simple", body.strip(), start, close + 2))
        pos = close + 2


class _Env:
    """The nested expression environment, built on first use and shared across one call."""

    __slots__ = ("scope", "_env")

    def __init__(self, scope: Mapping[str, Any]) -> None:
        self.scope = scope
        self._env: dict | None = None

    def get(self) -> dict:
        if self._env is None:
            self._env = nested_env(self.scope)
        return self._env


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value.text if type(value) is ScopeNode else value  # type: ignore[attr-defined]
    if type(value) is ScopeNode:
        return value.text
    if isinstance(value, datetime):
        return rfc3339(value, nano=True)
    return to_json(value)


def _simple(tag: Tag, text: str, scope: Mapping[str, Any], missing: str) -> str | None:
    name = tag.body
    if name in scope:
        value = scope[name]
        if value is None:
            raise ExprError(f"unable to substitute {{{{{name}}}}}: output is an absent optional "
                            "(skipped/omitted node with no default)", text, tag.start)
        if isinstance(value, str):
            return value
        try:
            return to_json(value)
        except EvalError as e:
            raise ExprError(f"failed to resolve {{{{{name}}}}}: {e}", text, tag.start) from None
    if missing == "error":
        raise ExprError(f"failed to resolve {{{{{name}}}}}", text, tag.start)
    return None


def _expression(tag: Tag, text: str, env: _Env, missing: str) -> str | None:
    expression = tag.body
    try:
        program = compile_expr(expression)
    except ExprError as e:
        offset = None if e.position is None else tag.start + 3 + e.position
        raise ExprError(f"failed to evaluate expression: {e.reason}", text, offset) from None
    nested = env.get()
    strict = missing == "error"
    absent = program.missing(nested)
    if strict and absent:
        raise ExprError(f"failed to evaluate expression: {absent[0]} is missing", text, tag.start)
    if not strict and absent:
        absent_set = set(absent)
        if not absent_set.isdisjoint(LATE_BOUND) or not absent_set.isdisjoint(program.roots):
            return None
    try:
        result = program.run(nested)
    except ExprError as e:
        if not strict:
            return None
        offset = None if e.position is None else tag.start + 3 + e.position
        raise ExprError(f"failed to evaluate expression: {e.reason}", text, offset) from None
    if result is None:
        if not strict:
            return None
        raise ExprError(f"failed to evaluate expression {expression!r}: result is nil", text, tag.start)
    try:
        return _render(result)
    except EvalError as e:
        if not strict:
            return None
        raise ExprError(f"failed to marshal evaluated expression: {e}", text, tag.start) from None


def _check_missing(missing: str) -> None:
    if missing not in ("keep", "error"):
        raise ExprError(f"missing must be 'keep' or 'error', not {missing!r}")


def _substitute(text: str, scope: Mapping[str, Any], missing: str, env: _Env) -> str:
    if "{{" not in text:
        return text
    found = tags(text)
    if not found:
        return text
    parts: list[str] = []
    pos = 0
    for tag in found:
        parts.append(text[pos:tag.start])
        if tag.kind == "simple":
            value = _simple(tag, text, scope, missing)
        else:
            value = _expression(tag, text, env, missing)
        parts.append(text[tag.start:tag.end] if value is None else value)
        pos = tag.end
    parts.append(text[pos:])
    size = sum(map(len, parts))
    if size > 1 << 20:   # a value doubled at every level of a recursion must not grow without end
        from . import limits
        try:
            limits.check_string(size)
        except EvalError as e:
            raise ExprError(f"substitution result too long: {e}", text[:200], 0) from None
    return "".join(parts)


def substitute(text: str, scope: Mapping[str, Any], *, missing: str = "keep") -> str:
    """Replace the tags in ``text`` using the flat ``scope`` (see the module docstring)."""
    _check_missing(missing)
    if not isinstance(text, str):
        raise ExprError(f"substitute expects a string, not {type(text).__name__}")
    return _substitute(text, scope, missing, _Env(scope))


def substitute_obj(obj: Any, scope: Mapping[str, Any], *, missing: str = "keep") -> Any:
    """``substitute`` over every string (values and keys) in nested lists/dicts; other values are
    returned unchanged. Returns new containers; the input is not modified."""
    _check_missing(missing)
    env = _Env(scope)

    def walk(o: Any, depth: int) -> Any:
        if depth > MAX_OBJ_DEPTH:
            raise ExprError(f"object nested too deeply (more than {MAX_OBJ_DEPTH} levels)")
        if isinstance(o, str):
            return _substitute(o, scope, missing, env)
        if isinstance(o, dict):
            return {(_substitute(k, scope, missing, env) if isinstance(k, str) else k): walk(v, depth + 1)
                    for k, v in o.items()}
        if isinstance(o, list):
            return [walk(x, depth + 1) for x in o]
        if isinstance(o, tuple):
            return tuple(walk(x, depth + 1) for x in o)
        return o
    try:
        return walk(obj, 0)
    except RecursionError:
        raise ExprError(f"object nested too deeply (more than {MAX_OBJ_DEPTH} levels)") from None


def has_tags(obj: Any, depth: int = 0) -> bool:
    """Whether a string (value or key) anywhere in ``obj`` has ``{{``: if not, ``substitute_obj``
    returns an equal copy, and a caller that only reads the result may keep ``obj``. An object
    nested too deeply counts as tagged, so ``substitute_obj`` still reports it."""
    if depth > MAX_OBJ_DEPTH:
        return True
    if isinstance(obj, str):
        return "{{" in obj
    if isinstance(obj, dict):
        return any((isinstance(k, str) and "{{" in k) or has_tags(v, depth + 1) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return any(has_tags(x, depth + 1) for x in obj)
    return False
