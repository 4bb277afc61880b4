"""Bounds on what one expression may cost: expr-lang's memory budget and linear-time regexes.

- ``spend(n)``: expr-lang refuses a program that allocates more than ``MemoryBudget`` (1e6)
  items ("memory budget exceeded"); we charge ranges, every predicate iteration (``map``,
  ``filter``, ``reduce``...) and string concatenation (per 64 bytes), so a hostile
  ``{{= }}`` ends with an ``ExprError`` in about a second instead of hanging the engine.
- ``regex(pattern)``: every user pattern runs on RE2 (``goregexp``), as Argo's Go ``regexp``
  does: linear time in the text whatever the pattern, so no pattern needs refusing.
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from .values import EvalError

if TYPE_CHECKING:
    from . import goregexp

MEMORY_BUDGET = 1_000_000   # expr-lang's conf.MemoryBudget default
STRING_COST = 64            # bytes of concatenated string that cost one budget unit
MAX_STRING = 16 * 1024 * 1024   # default bytes of one string an expression or a substitution makes
_max_string: int | None = None


def max_string() -> int:
    """The string budget: ``configure()``'s value (the engine's, from config.yaml), else
    ``JUPYTER_FLOW_MAX_STRING_BYTES``, else 16 MiB."""
    if _max_string is not None:
        return _max_string
    import os
    try:
        return max(1, int(os.environ.get("JUPYTER_FLOW_MAX_STRING_BYTES") or MAX_STRING))
    except ValueError:
        return MAX_STRING


def configure(max_string_bytes: int | None) -> None:
    """Set the string budget for this process (``None``: back to the environment/default)."""
    global _max_string
    _max_string = max_string_bytes

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
    """Refuse a string of ``size`` characters over the budget, before it is built."""
    limit = max_string()
    if size > limit:
        raise EvalError(f"string too long ({size} characters; the limit is {limit}: "
                        "JUPYTER_FLOW_MAX_STRING_BYTES or limits.maxStringBytes in config.yaml raises it)")


def regex(pattern: str) -> "goregexp.Regexp":
    """Go's ``regexp.Compile`` for untrusted patterns (RE2, cached): raises ``RegexError``."""
    from . import goregexp
    return goregexp.compile(pattern)
