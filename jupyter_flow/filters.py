"""Run filters as the CLI and ``jupyter_flow.runs()`` take them: durations (``10m``, ``1h30m``)
and label selectors (``k=v,k2!=v,k3,!k4``).

The parsers are argparse ``type=`` functions (they raise ``argparse.ArgumentTypeError``, a usage
error on the command line); ``runset`` turns that into a ``JupyterFlowError``. They live here,
below both, so the Python API does not import the CLI.
"""
from __future__ import annotations

import argparse
import re

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """argparse type: ``10m``, ``1h``, ``2d``, ``90s`` or ``1h30m`` -> seconds."""
    value = text.strip()
    if not re.fullmatch(r"(?:\d+(?:\.\d+)?[smhd])+", value):
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: expected a number with s, m, h or d "
                                         f"(e.g. 30s, 10m, 1h, 2d)")
    return sum(float(n) * UNITS[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)([smhd])", value))


LABEL = r"[A-Za-z0-9][A-Za-z0-9._/-]*"


def parse_selector(text: str) -> list[tuple[str, str, str | None]]:
    """argparse type: a label selector ``k=v,k2==v2,k3!=v3,k4,!k5`` -> [(key, op, value)]."""
    out: list[tuple[str, str, str | None]] = []
    for part in text.split(","):
        part = part.strip()
        m = re.fullmatch(rf"(!?)({LABEL})(?:\s*(==|=|!=)\s*([A-Za-z0-9._-]*))?", part)
        if not part or not m or (m.group(1) and m.group(3)):
            raise argparse.ArgumentTypeError(f"invalid selector {part!r} in {text!r}: "
                                             f"expected key=value, key!=value, key or !key, comma-separated")
        bang, key, op, value = m.groups()
        out.append((key, "!" if bang else ("!=" if op == "!=" else ("=" if op else "exists")), value))
    return out


def labels_match(labels: dict, selector: list[tuple[str, str, str | None]]) -> bool:
    for key, op, value in selector:
        if ((op == "=" and labels.get(key) != value) or (op == "!=" and labels.get(key) == value)
                or (op == "exists" and key not in labels) or (op == "!" and key in labels)):
            return False
    return True
