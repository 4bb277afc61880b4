"""Argo's timestamps, in one place: RFC 3339 in UTC with whole seconds (``2026-11-29T10:00:00Z``,
what ``metav1.Time`` writes), formatted from and parsed to Unix epoch seconds.

At the bottom of the layering (it imports nothing from the package). Parsing is done in UTC,
never through the local time zone: ``time.mktime(...) - time.timezone`` (what two modules did)
is an hour off whenever daylight saving is in force, since ``time.timezone`` is the standard offset.
"""
from __future__ import annotations

import math
import time
from datetime import datetime, timezone
from typing import Any

FORMAT = "%Y-%m-%dT%H:%M:%SZ"

_ISO: dict[int, str] = {}


def iso(ts: float | None) -> str | None:
    """RFC 3339 UTC, whole seconds (timestamps cluster, so the text of each second is cached)."""
    if ts is None:
        return None
    sec = math.floor(ts)
    text = _ISO.get(sec)
    if text is None:
        if len(_ISO) > 4096:
            _ISO.clear()
        text = _ISO[sec] = datetime.fromtimestamp(sec, timezone.utc).strftime(FORMAT)
    return text


def now_iso() -> str:
    """The current time as Argo writes it (``creationTimestamp``, ``finishedAt``)."""
    return iso(time.time())  # type: ignore[return-value]


def parse_iso(text: str | None) -> float | None:
    """The time ``iso`` wrote as a Unix timestamp; None for none. Raises ValueError for other text,
    so a corrupt record is noticed where it is read."""
    if not text:
        return None
    return datetime.strptime(text, FORMAT).replace(tzinfo=timezone.utc).timestamp()


def epoch(value: Any) -> float | None:
    """Like ``parse_iso`` for text from outside (a REST document, another run): None for anything
    missing, not a string, or not an Argo timestamp, instead of an exception."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_iso(value)
    except (ValueError, OverflowError):
        return None


def duration(started: Any, finished: Any, now: float | None = None) -> float | None:
    """Seconds from ``started`` to ``finished`` (timestamps as text), never negative.

    None when it has not started; a run still going counts up to ``now`` when given
    (None without it)."""
    t0 = epoch(started)
    if t0 is None:
        return None
    t1 = epoch(finished)
    if t1 is None:
        if now is None:
            return None
        t1 = now
    return max(0.0, t1 - t0)
