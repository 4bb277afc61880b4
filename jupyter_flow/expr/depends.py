"""DAG ``depends`` logic (docs/enhanced-depends-logic.md; code ``workflow/common/ancestry.go`` and
``workflow/controller/dag.go evaluateDependsLogic``).

Operands are ``task`` or ``task.Result`` with Result one of Succeeded, Failed, Errored, Skipped,
Omitted, Daemoned, AnySucceeded, AllFailed; operators ``&&``, ``||``, ``!`` and parentheses. A
bare ``task`` means ``(task.Succeeded || task.Skipped || task.Daemoned)``, plus ``.Errored`` /
``.Failed`` when that task has ``continueOn.error`` / ``continueOn.failed`` (the expansion Argo
applies to ``dependencies: [...]``). Task names follow Argo's regex ``[a-zA-Z0-9][-a-zA-Z0-9]*``.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterable, Mapping

from ..errors import ExprError

RESULTS = ("Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded", "AllFailed")
MAX_DEPTH = 100
_TOKEN_RE = re.compile(r"\s*(?:(?P<op>&&|\|\||!|\(|\))|(?P<name>[a-zA-Z0-9_][-a-zA-Z0-9_]*)"
                       r"(?:\.(?P<result>[A-Za-z]+))?)")


@lru_cache(maxsize=2048)
def _parse(expression: str) -> tuple:
    """Parse into ("or"|"and", a, b) / ("not", a) / ("ref", task, result|None)."""
    toks: list[tuple[str, Any, int]] = []
    pos = 0
    text = expression.rstrip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            bad = text[pos:].lstrip()
            at = len(text) - len(bad)
            raise ExprError(f"invalid depends expression: unexpected {bad[:1]!r}", expression, at)
        start = m.start("op") if m.group("op") else m.start("name")
        if m.group("op"):
            toks.append(("op", m.group("op"), start))
        else:
            result = m.group("result")
            if result is not None and result not in RESULTS:
                raise ExprError(f"task result '{result}' for task '{m.group('name')}' is invalid",
                                expression, m.start("result"))
            toks.append(("ref", (m.group("name"), result), start))
        pos = m.end()
    toks.append(("end", None, len(text)))
    if len(toks) == 1:
        raise ExprError("empty depends expression", expression, 0)
    state = {"i": 0}

    def peek() -> tuple[str, Any, int]:
        return toks[state["i"]]

    def fail() -> ExprError:
        kind, value, at = peek()
        what = "end of expression" if kind == "end" else repr(value if kind == "op" else ".".join(filter(None, value)))
        return ExprError(f"invalid depends expression: unexpected {what}", expression, at)

    def parse_or(depth: int) -> tuple:
        left = parse_and(depth)
        while peek()[:2] == ("op", "||"):
            state["i"] += 1
            left = ("or", left, parse_and(depth))
        return left

    def parse_and(depth: int) -> tuple:
        left = parse_not(depth)
        while peek()[:2] == ("op", "&&"):
            state["i"] += 1
            left = ("and", left, parse_not(depth))
        return left

    def parse_not(depth: int) -> tuple:
        if depth > MAX_DEPTH:
            raise ExprError(f"depends expression nested too deeply (more than {MAX_DEPTH} levels)",
                            expression, peek()[2])
        kind, value, _ = peek()
        if (kind, value) == ("op", "!"):
            state["i"] += 1
            return ("not", parse_not(depth + 1))
        if (kind, value) == ("op", "("):
            state["i"] += 1
            inner = parse_or(depth + 1)
            if peek()[:2] != ("op", ")"):
                raise fail()
            state["i"] += 1
            return inner
        if kind == "ref":
            state["i"] += 1
            return ("ref", value[0], value[1])
        raise fail()

    tree = parse_or(0)
    if peek()[0] != "end":
        raise fail()
    if _depth(tree) > 4 * MAX_DEPTH:
        raise ExprError("depends expression too long", expression, 0)
    return tree


def _depth(tree: tuple) -> int:
    best, stack = 0, [(tree, 1)]
    while stack:
        node, d = stack.pop()
        best = max(best, d)
        if node[0] in ("and", "or"):
            stack += [(node[1], d + 1), (node[2], d + 1)]
        elif node[0] == "not":
            stack.append((node[1], d + 1))
    return best


def depends_tasks(expression: str) -> set[str]:
    """Names of the tasks an expression refers to (raises ExprError if it does not parse)."""
    out: set[str] = set()
    stack = [_parse(expression)]
    while stack:
        node = stack.pop()
        if node[0] == "ref":
            out.add(node[1])
        else:
            stack.extend(node[1:])
    return out


def depends(expression: str, results: Mapping[str, Mapping[str, bool]], *,
            continue_on: Mapping[str, Iterable[str]] | None = None) -> bool:
    """Evaluate ``expression`` over finished dependencies.

    ``results[task]`` maps each of ``RESULTS`` to a bool (missing keys count as False).
    ``continue_on[task]`` may hold "Failed"/"Errored" (or "failed"/"error") to widen what a bare
    ``task`` accepts, as Argo does for ``dependencies`` with ``continueOn``.
    """
    tree = _parse(expression)
    return _eval(tree, results, continue_on or {}, expression)


def _eval(node: tuple, results: Mapping[str, Mapping[str, bool]],
          continue_on: Mapping[str, Iterable[str]], expression: str) -> bool:
    kind = node[0]
    if kind == "and":
        return _eval(node[1], results, continue_on, expression) and _eval(node[2], results, continue_on, expression)
    if kind == "or":
        return _eval(node[1], results, continue_on, expression) or _eval(node[2], results, continue_on, expression)
    if kind == "not":
        return not _eval(node[1], results, continue_on, expression)
    task, result = node[1], node[2]
    if task not in results:
        raise ExprError(f"depends refers to task '{task}' which has no result", expression,
                        expression.find(task))
    r = results[task]
    if result is not None:
        return bool(r.get(result, False))
    accepted = {"Succeeded", "Skipped", "Daemoned"}
    for extra in continue_on.get(task, ()):
        accepted.add({"failed": "Failed", "error": "Errored", "errored": "Errored"}.get(extra, extra))
    return any(bool(r.get(k, False)) for k in accepted)
