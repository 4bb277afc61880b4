"""Argo's durations: a bare number is seconds, otherwise Go's ``1h2m3.5s`` form."""
from __future__ import annotations

import re

from ..errors import JupyterFlowError

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)")


def parse_duration(value: object) -> float:
    """Seconds for ``20``, ``"20"``, ``"2m"``, ``"1h30m"``; raises JupyterFlowError otherwise."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    pos, total = 0, 0.0
    for m in _PART.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        raise JupyterFlowError(f"invalid duration {text!r}: expected seconds or a duration like 30s, 2m, 1h")
    return total
