"""Making hostile text safe for a terminal (control characters shown, never obeyed) and ANSI colour, as argo's
printer does."""
from __future__ import annotations

import re
from typing import Any

#: What ``argo watch`` prints before each refresh (common/watch.go).
CLEAR_SCREEN = "\033[H\033[2J\033[0;0H"

_ESC = "\x1b"
_FG_RED, _FG_GREEN, _FG_YELLOW, _FG_CYAN, _FG_DEFAULT = 31, 32, 33, 36, 39


def _build_escape_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in list(range(0x00, 0x20)) + [0x7F] + list(range(0x80, 0xA0)):
        table[cp] = "\\x%02x" % cp
    table[ord("\n")] = "\\n"
    table[ord("\r")] = "\\r"
    table[ord("\t")] = "\\t"
    # Invisible formatting characters that can reorder or hide text on a
    # terminal ("trojan source"): bidi overrides/isolates, line separators.
    for cp in [0x061C, 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]:
        table[cp] = "\\u%04x" % cp
    return table


_ESCAPE_TABLE = _build_escape_table()
_NEEDS_ESCAPE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def escape_text(value: Any) -> str:
    """Return ``value`` as text with control characters made visible.

    Why: messages, results and names come from user code and logs; printing
    an ESC byte verbatim would let them recolour, move the cursor or clear
    the terminal, and a newline or tab would break the table.  ESC becomes
    ``\\x1b``, newline ``\\n``, tab ``\\t``; bidi overrides ``\\u202e``.
    Everything else (including non-ASCII text) is kept as-is.
    """
    s = _to_str(value)
    if _NEEDS_ESCAPE.search(s) is None:
        return s
    return s.translate(_ESCAPE_TABLE)


def _to_str(value: Any) -> str:
    """Parameter values are strings in Argo; show other JSON values as Go would marshal them."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    import json  # lazily: only structured (non-Argo) values need it

    try:
        return json.dumps(value, separators=(",", ":"), sort_keys=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def _ansi(s: str, code: int, color: bool) -> str:
    """argo's ansiFormat: wrap in an SGR sequence only when colour is on."""
    if not color:
        return s
    return f"{_ESC}[{code}m{s}{_ESC}[0m"
