"""expr-lang front door: compile (cached), evaluate, check, and reference analysis.

The engine evaluates the same few expressions thousands of times (every loop item, every retry),
so parsing happens once per distinct source string (``functools.lru_cache``) and evaluation runs
pre-built closures.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Mapping

from ..errors import ExprError
from .builtins import BUILTIN_NAMES
from .compiler import Frame, _NilChain, compile_node
from .limits import Budget
from .lexer import LexError
from .parser import MAX_DEPTH, ast_depth, parse
from .scope import has_var, looks_flat, nested_env
from .values import EvalError


class Program:
    """A parsed and compiled expression; immutable and safe to share between threads."""

    __slots__ = ("source", "ast", "_fn", "references", "roots")

    def __init__(self, source: str, ast: tuple) -> None:
        self.source = source
        self.ast = ast
        self._fn = compile_node(ast)
        self.references, self.roots = _references(ast)

    def run(self, env: Mapping[str, Any] | None = None) -> Any:
        """Evaluate against a *nested* environment (see ``nested_env``); flat dotted keys are
        expanded first for convenience."""
        env = {} if env is None else env
        if looks_flat(env):
            env = nested_env(env)
        try:
            with Budget():
                return self._fn(Frame(env if isinstance(env, dict) else dict(env)))
        except EvalError as e:
            raise ExprError(str(e), self.source, getattr(e, "pos", None)) from None
        except _NilChain:
            return None
        except RecursionError:
            raise ExprError("expression or value nested too deeply", self.source, None) from None
        except ExprError:
            raise
        except Exception as e:  # noqa: BLE001 - the API promises ExprError only
            raise ExprError(f"internal error: {type(e).__name__}: {e}", self.source, None) from None

    def missing(self, env: Mapping[str, Any]) -> list[str]:
        """References (identifiers and plain member paths) absent from a nested ``env``."""
        return [r for r in self.references if not has_var(env, r)]

    def __repr__(self) -> str:
        return f"Program({self.source!r})"


@lru_cache(maxsize=4096)
def _compile(expression: str) -> Program:
    try:
        ast = parse(expression, BUILTIN_NAMES)
    except LexError as e:
        raise ExprError(str(e), expression, e.pos) from None
    except RecursionError:
        raise ExprError("expression nested too deeply", expression, None) from None
    if ast_depth(ast) > MAX_DEPTH:
        raise ExprError(f"expression nested too deeply (more than {MAX_DEPTH} levels)", expression, 0)
    try:
        return Program(expression, ast)
    except EvalError as e:
        raise ExprError(str(e), expression, getattr(e, "pos", None)) from None


def compile(expression: str) -> Program:  # noqa: A001 - mirrors expr.Compile
    """Parse and compile ``expression`` once (cached); raises ExprError on a syntax error."""
    if not isinstance(expression, str):
        raise ExprError(f"expression must be a string, not {type(expression).__name__}", "", None)
    return _compile(expression)


def evaluate(expression: str, env: Mapping[str, Any] | None = None) -> Any:
    """Evaluate an expr-lang expression with Argo's extra functions.

    ``env`` may be nested (``{"inputs": {"parameters": {...}}}``) or flat with dotted keys; an
    absent variable evaluates to nil (``None``).
    """
    return compile(expression).run(env)


def check(expression: str) -> None:
    """Raise ExprError if ``expression`` does not parse (for lint)."""
    compile(expression)


def _references(ast: tuple) -> tuple[tuple[str, ...], frozenset[str]]:
    """Argo's ``getIdentifiers``: identifiers and ``a.b.c`` member paths the expression needs,
    skipping member paths guarded by ``??`` or ``?.``; also the set of root names."""
    guarded: set[int] = set()
    lets: set[str] = set()
    nodes: list[tuple] = []
    stack: list[Any] = [ast]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
            continue
        if not (isinstance(node, tuple) and node and isinstance(node[0], str)):
            if isinstance(node, tuple):  # map pair
                stack.extend(reversed(node))
            continue
        nodes.append(node)
        kind = node[0]
        if kind == "binary" and node[2] == "??":
            _mark_members(node[3], guarded)
        elif kind == "member" and node[4] and node[2][0] == "member":
            guarded.add(id(node[2]))
        elif kind == "let":
            lets.add(node[2])
        stack.extend(reversed([c for c in node[2:] if isinstance(c, (tuple, list))]))
    refs: list[str] = []
    roots: set[str] = set()
    for node in nodes:
        if node[0] == "ident" and node[2] not in lets:
            roots.add(node[2])
            if node[2] not in refs:
                refs.append(node[2])
        elif node[0] == "member" and id(node) not in guarded:
            path = _member_path(node)
            if path and path not in refs:
                refs.append(path)
    return tuple(refs), frozenset(roots)


def _mark_members(node: Any, guarded: set[int]) -> None:
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, list):
            stack.extend(n)
        elif isinstance(n, tuple) and n and isinstance(n[0], str):
            if n[0] == "member":
                guarded.add(id(n))
            stack.extend(c for c in n[2:] if isinstance(c, (tuple, list)))
        elif isinstance(n, tuple):
            stack.extend(n)


def _member_path(node: tuple) -> str | None:
    parts: list[str] = []
    cur = node
    while True:
        if cur[4] or cur[3][0] != "lit" or not isinstance(cur[3][2], str):
            return None
        parts.append(cur[3][2])
        base = cur[2]
        if base[0] == "ident":
            parts.append(base[2])
            return ".".join(reversed(parts))
        if base[0] != "member":
            return None
        cur = base
