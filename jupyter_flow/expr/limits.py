"""Bounds on what one expression may cost: expr-lang's memory budget and a ReDoS guard.

- ``spend(n)``: expr-lang refuses a program that allocates more than ``MemoryBudget`` (1e6)
  items ("memory budget exceeded"); we charge ranges, every predicate iteration (``map``,
  ``filter``, ``reduce``...) and string concatenation (per 64 bytes), so a hostile
  ``{{= }}`` ends with an ``ExprError`` in about a second instead of hanging the engine.
- ``regex(pattern)``: Go's RE2 runs every pattern in linear time; Python's ``re`` backtracks,
  and ``(a+)+$`` against ``aaaa…!`` takes exponential time. Patterns with a repetition nested
  in an unbounded repetition (star height > 1) are refused with a clear message; everything
  else is compiled (and cached) as before.
"""
from __future__ import annotations

import re
import threading
from functools import lru_cache

try:  # Python 3.11+
    import re._parser as _sre_parse  # type: ignore[import-not-found]
    from re import _constants as _sre_c  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older layouts
    import sre_constants as _sre_c  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

from .values import EvalError

MEMORY_BUDGET = 1_000_000   # expr-lang's conf.MemoryBudget default
STRING_COST = 64            # bytes of concatenated string that cost one budget unit
MAX_STRING = 16 * 1024 * 1024

_state = threading.local()


class Budget:
    """Context manager that gives the current thread a fresh budget (re-entrant)."""

    __slots__ = ("saved",)

    def __enter__(self) -> None:
        self.saved = getattr(_state, "left", None)
        _state.left = MEMORY_BUDGET

    def __exit__(self, *exc) -> None:
        _state.left = self.saved


def spend(n: int) -> None:
    left = getattr(_state, "left", None)
    if left is None:   # called outside Program.run (direct use of a builtin): unbounded
        return
    left -= n
    _state.left = left
    if left < 0:
        raise EvalError(f"memory budget exceeded (more than {MEMORY_BUDGET} items)")


def check_string(size: int) -> None:
    if size > MAX_STRING:
        raise EvalError(f"string too long ({size} characters; the limit is {MAX_STRING})")


_REPEATS = {_sre_c.MAX_REPEAT, _sre_c.MIN_REPEAT, getattr(_sre_c, "POSSESSIVE_REPEAT", None)}


def _unbounded(hi: int) -> bool:
    return hi == _sre_c.MAXREPEAT or hi > 1000


def _flat(items) -> list:
    """The sequence a group body matches, looking through plain groups."""
    items = list(items)
    while len(items) == 1 and items[0][0] == _sre_c.SUBPATTERN:
        items = list(items[0][1][-1])
    return items


def _has_unbounded(items, any_only: bool = False) -> bool:
    for op, av in items:
        if op in _REPEATS:
            sub = list(av[2])
            if _unbounded(av[1]) and (not any_only or any(o == _sre_c.ANY for o, _ in sub)):
                return True
            if _has_unbounded(sub, any_only):
                return True
        elif op == _sre_c.SUBPATTERN and _has_unbounded(av[-1], any_only):
            return True
        elif op == _sre_c.BRANCH and any(_has_unbounded(b, any_only) for b in av[1]):
            return True
    return False


def _delimited(items) -> bool:
    """Whether each iteration of a loop body must match a fixed character that ends it, as
    ``\\.`` does in ``[a-z]+(\\.[a-z]+)*``: then the inner loop cannot split the text many ways."""
    items = _flat(items)
    if len(items) == 1 and items[0][0] == _sre_c.BRANCH:
        return all(_delimited(b) for b in items[0][1][1])
    if _has_unbounded(items, any_only=True):   # a ``.*`` inside eats any delimiter
        return False
    return any(op in (_sre_c.LITERAL, _sre_c.NOT_LITERAL, _sre_c.IN) for op, _ in items)


def _nested_repeat(items) -> bool:
    """An unbounded repetition whose body holds another one with nothing to separate the
    iterations (star height > 1, as in ``(a+)+`` or ``(\\w+\\s?)+``): exponential backtracking."""
    for op, av in items:
        if op in _REPEATS:
            sub = list(av[2])
            if _unbounded(av[1]) and _has_unbounded(sub) and not _delimited(sub):
                return True
            if _nested_repeat(sub):
                return True
        elif op == _sre_c.SUBPATTERN:
            if _nested_repeat(av[-1]):
                return True
        elif op == _sre_c.BRANCH:
            if any(_nested_repeat(b) for b in av[1]):
                return True
        elif op in (_sre_c.ASSERT, _sre_c.ASSERT_NOT):
            if _nested_repeat(av[1]):
                return True
    return False


@lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern:
    compiled = re.compile(pattern)   # re.error propagates
    if _nested_repeat(_sre_parse.parse(pattern)):
        raise re.error("nested repetition (e.g. (a+)+) can take exponential time here; "
                       "Argo's RE2 would run it, this engine refuses it: rewrite it without nesting")
    return compiled


def regex(pattern: str) -> re.Pattern:
    """``re.compile`` for untrusted patterns: raises ``re.error`` for bad or exponential ones."""
    if len(pattern) > 10_000:
        raise re.error("pattern too long")
    return _compile(pattern)
