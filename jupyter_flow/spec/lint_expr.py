"""Expression and variable-reference checks for the semantic lint.

Syntax errors in ``when``, ``depends``, ``{{= }}`` tags and the expr-lang fields
(``retryStrategy.expression``, ``valueFrom.expression``, hook expressions, ...) would
otherwise only surface when the step is reached, possibly hours into a run; catching them
at load time is cheap. The parsers live in ``jupyter_flow.expr``; this module imports it
lazily and, if it is unavailable, skips the syntax checks (reference checks such as
undeclared ``inputs.parameters`` still run, using a local tag scanner).
"""
from __future__ import annotations

import re
from typing import Any, Iterator

from jupyter_flow.errors import ExprError

_TAG = re.compile(r"\{\{(.*?)\}\}", re.S)
_SIMPLE_INPUT = re.compile(r"^\s*inputs\.parameters\.([^\s.}]+)\s*$")
_EXPR_INPUT = re.compile(
    r"""inputs\s*\.\s*parameters\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*(['"`])(.*?)\2\s*\])"""
)
_DEPENDS_TOKEN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-]*(?:\.[A-Za-z]+)?")
_PLACEHOLDER = "0"
_NESTED = re.compile(r"\{\{[^{}]*\{\{")
_INNER_TAG = re.compile(r"\{\{[^{}=][^{}]*\}\}")


def expr_module() -> Any | None:
    """``jupyter_flow.expr`` if it provides what the lint needs, else ``None``."""
    try:
        from jupyter_flow import expr  # noqa: PLC0415 - lazy on purpose
    except Exception:  # noqa: BLE001 - any failure means "checks unavailable"
        return None
    if all(hasattr(expr, name) for name in ("check", "check_when", "depends_tasks", "tags")):
        return expr
    return None


def iter_tags(text: str) -> Iterator[tuple[str, str, int, int]]:
    """``(kind, body, start, end)`` for each ``{{...}}`` tag; kind is "simple" or "expr"."""
    expr = expr_module()
    if expr is not None:
        try:
            for tag in expr.tags(text):
                yield tag.kind, tag.body, tag.start, tag.end
            return
        except ExprError:
            pass
    for match in _TAG.finditer(text):
        body = match.group(1)
        if body.startswith("="):
            yield "expr", body[1:], match.start(), match.end()
        else:
            yield "simple", body.strip(), match.start(), match.end()


def _strip_tags(text: str, expr_value: str = "true") -> str:
    """Replace tags by placeholders so the surrounding expression can be parsed alone."""
    out: list[str] = []
    last = 0
    for kind, _body, start, end in iter_tags(text):
        out.append(text[last:start])
        out.append(expr_value if kind == "expr" else _PLACEHOLDER)
        last = end
    out.append(text[last:])
    return "".join(out)


def _reason(exc: Exception) -> str:
    return getattr(exc, "reason", None) or str(exc)


def check_expr_tags(text: str) -> list[str]:
    """Messages for ``{{= ...}}`` tags in ``text`` whose expression does not parse."""
    if "{{" not in text:
        return []
    expr = expr_module()
    if expr is None:
        return []
    problems = []
    try:
        tags = list(expr.tags(text))
    except ExprError as exc:
        return [f"invalid template tag: {_reason(exc)}"]
    for tag in tags:
        if tag.kind != "expr":
            continue
        try:
            expr.check(tag.body)
        except ExprError as exc:
            problems.append(f"invalid expression {{{{={tag.body}}}}}: {_reason(exc)}")
    return problems


def check_when(text: str) -> str | None:
    """Message if ``when`` (after removing its ``{{...}}`` tags) is not valid govaluate."""
    expr = expr_module()
    if expr is None or not isinstance(text, str):
        return None
    flat = text
    while _NESTED.search(flat):   # `{{steps.run-{{inputs.parameters.d}}.status}}`: inner tags first
        flat, n = _INNER_TAG.subn(_PLACEHOLDER, flat)
        if not n:   # `{{ {{` with nothing to collapse: leave it to the parser's error
            break
    try:
        expr.check_when(_strip_tags(flat))
    except ExprError as exc:
        # the parser saw the placeholder-substituted text; do not echo that back
        reason = re.sub(r"^Invalid 'when' expression '.*?': ", "", _reason(exc), flags=re.S)
        if re.search(r"(from|to) VARIABLE \[", reason) and "quote" not in reason:
            # `{{x}} == hi there`: after substitution bare words are govaluate variables
            reason += "; words in `when` are variable names unless quoted: compare strings as " \
                      "'{{...}}' == 'hi there'"
        return f"invalid when expression {text!r}: {reason}"
    return None


def check_expression(text: str) -> str | None:
    """Message if an expr-lang field (retry/hook/valueFrom expression) does not parse."""
    expr = expr_module()
    if expr is None or not isinstance(text, str):
        return None
    try:
        expr.check(_strip_tags(text, expr_value=_PLACEHOLDER))
    except ExprError as exc:
        return f"invalid expression {text!r}: {_reason(exc)}"
    return None


def depends_tasks(text: str) -> tuple[set[str], str | None]:
    """Task names a ``depends`` expression mentions, and a parse-error message if any."""
    expr = expr_module()
    if expr is not None:
        try:
            return set(expr.depends_tasks(text)), None
        except ExprError as exc:
            return _fallback_depends(text), f"invalid depends expression {text!r}: {_reason(exc)}"
    return _fallback_depends(text), None


def _fallback_depends(text: str) -> set[str]:
    names = set()
    for token in _DEPENDS_TOKEN.findall(text):
        names.add(token.split(".", 1)[0])
    return names


def input_parameter_refs(text: str) -> Iterator[str]:
    """Names X used as ``{{inputs.parameters.X}}`` or inside ``{{= ... inputs.parameters.X ...}}``."""
    if "inputs" not in text or "{{" not in text:
        return
    for kind, body, _start, _end in iter_tags(text):
        if kind == "simple":
            match = _SIMPLE_INPUT.match(body)
            if match:
                yield match.group(1)
        else:
            for match in _EXPR_INPUT.finditer(body):
                yield match.group(1) or match.group(3)


def walk_strings(value: Any, path: tuple, skip: frozenset = frozenset()) -> Iterator[tuple[tuple, str]]:
    """Every string (keys excluded) under ``value`` with its path; iterative.

    ``skip`` names mapping keys not to descend into (e.g. ``inline`` templates, which are
    their own scope).
    """
    todo = [(value, path)]
    while todo:
        item, where = todo.pop()
        if isinstance(item, str):
            yield where, item
        elif isinstance(item, dict):
            for key, sub in item.items():
                if key not in skip:
                    todo.append((sub, where + (key,)))
        elif isinstance(item, list):
            todo.extend((sub, where + (i,)) for i, sub in enumerate(item))
