"""Limits on what a REST request may carry: JSON bodies and integer query arguments.

A request is hostile input. A JSON body nested 100,000 deep made ``json.loads`` raise
``RecursionError`` (an uncaught 500), and ``?offset=99999999999999999999999`` overflowed the
file seek behind it; both are the client's mistake, so both are answered 400 with a message
saying what was expected, before any work is done.

Shared by both REST surfaces (the Jupyter server extension, ``server/``, and the Argo Server API,
``argoserver/``), so it sits below them and imports nothing from the package.
"""
from __future__ import annotations

import json
import re
from typing import Any

MAX_BODY = 8 * 1024 * 1024   # bytes of JSON body: a 2 MiB document, escaped, with room to spare
MAX_DEPTH = 64               # nesting of objects/arrays in a body (a submit needs 3)
MAX_OFFSET = (1 << 53) - 1   # the largest integer JavaScript's numbers hold exactly
_DIGITS = re.compile(r"[0-9]{1,16}", re.ASCII)


class BadRequest(ValueError):
    """A request the server refuses before doing anything; ``status`` is 400 or 413."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status
        self.message = message


def _too_deep(value: Any, limit: int) -> bool:
    """Whether ``value`` nests containers deeper than ``limit`` (iterative: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def json_body(raw: bytes | None) -> dict:
    """A request body as a JSON object; empty means ``{}``. Raises :class:`BadRequest`."""
    if not raw:
        return {}
    if len(raw) > MAX_BODY:
        raise BadRequest(f"request body too large ({len(raw)} bytes; at most {MAX_BODY})", 413)
    try:
        data = json.loads(raw)
    except RecursionError:  # the C parser stops at the interpreter's recursion limit
        raise BadRequest(f"request body nests deeper than {MAX_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("request body is not JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("request body must be a JSON object")
    if _too_deep(data, MAX_DEPTH):
        raise BadRequest(f"request body nests deeper than {MAX_DEPTH} levels")
    return data


def int_arg(value: str | None, name: str, *, default: int | None = None, low: int = 0,
            high: int = MAX_OFFSET) -> int | None:
    """A query argument that must be a plain decimal integer in ``[low, high]``.

    Only ASCII digits: ``int()`` alone also takes ``-1``, ``1_000``, `` 7 `` and other scripts'
    digits, and any size."""
    if value is None or value == "":
        return default
    if not _DIGITS.fullmatch(value) or not low <= int(value) <= high:
        raise BadRequest(f"{name} must be an integer from {low} to {high}, not {value[:40]!r}")
    return int(value)
