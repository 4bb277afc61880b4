"""Validated workflows by document text: submitting the same text again skips parse, schema and lint.

A notebook user re-runs the same cell; each run used to pay ~1.3 ms to read the YAML, check it
against Argo's schema and lint it, and get the same answer. Here a *valid* result is remembered
under everything it depends on (the exact text, the file name errors would cite, the submit
options), stored as its JSON encoding: a hit decodes a fresh copy, so no run can see, or change,
another run's workflow. Only results that depend on nothing else are kept: the caller does not
store one whose validation looked a template up in the registry (a ``templateRef`` or
``workflowTemplateRef``), since the registry can change between two submits. Errors are not
kept (the next submit reports them again, from scratch).
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

MAX_ENTRIES = 64
MAX_TEXT = 1 << 20   # a larger document is not kept (a workflow is kilobytes)

_entries: "OrderedDict[tuple, str]" = OrderedDict()
_lock = threading.Lock()
_encode = json.JSONEncoder(check_circular=False).encode


def key_for(text: str | bytes, filename: str | None, options: dict | None) -> tuple | None:
    """The cache key for a document text and its submit options, or None if it cannot be kept."""
    if len(text) > MAX_TEXT:
        return None
    try:   # key order kept: the order of -p parameters is the order they appear in the run
        opts = json.dumps(options, separators=(",", ":"))
    except (TypeError, ValueError):
        return None
    return (type(text).__name__, text, filename, opts)


def get(key: tuple) -> dict | None:
    """A fresh copy of the workflow validated under ``key``, or None."""
    with _lock:
        text = _entries.get(key)
        if text is None:
            return None
        _entries.move_to_end(key)
    return json.loads(text)


def put(key: tuple, workflow: dict[str, Any]) -> None:
    """Remember ``workflow`` (valid, its validation independent of the registry) under ``key``."""
    text = _encode(workflow)
    with _lock:
        _entries[key] = text
        _entries.move_to_end(key)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)


def clear() -> None:
    with _lock:
        _entries.clear()
