"""Values on the command line: -p pairs and parameter files, durations (10m, 1h), label
selectors and labels, regular expressions. The argparse ``type=`` functions raise
``argparse.ArgumentTypeError``, so a bad value is a usage error, not a traceback."""
from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from ..expr.goregexp import Regexp


def parse_params(pairs: Sequence[str] | None, files: Sequence[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for path in files or []:
        import yaml
        with open(path) as f:
            data = yaml.safe_load(f) or {}
        if not isinstance(data, dict):
            raise SystemExit(f"--parameter-file {path}: expected a mapping of name: value")
        from jupyter_flow.engine.variables import param_text
        out.update({str(k): param_text(v) for k, v in data.items()})
    for pair in pairs or []:
        if "=" not in pair:
            raise SystemExit(f"-p {pair!r}: expected name=value")
        k, v = pair.split("=", 1)
        out[k] = v
    return out


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


def parse_labels(text: str) -> dict[str, str]:
    """argparse type: ``-l/--labels key=value,key2=value2``."""
    out: dict[str, str] = {}
    for part in text.split(","):
        key, eq, value = part.strip().partition("=")
        if not eq or not re.fullmatch(LABEL, key.strip()):
            raise argparse.ArgumentTypeError(f"invalid label {part.strip()!r}: expected key=value, comma-separated")
        out[key.strip()] = value.strip()
    return out


def parse_regex(text: str) -> "Regexp":
    """argo logs --grep's pattern: Go's regexp (RE2, linear time), as argo matches it."""
    from ..expr.goregexp import RegexError, compile as go_compile
    try:
        return go_compile(text)
    except RegexError as exc:
        raise argparse.ArgumentTypeError(f"invalid regular expression {text!r}: {exc}") from None
