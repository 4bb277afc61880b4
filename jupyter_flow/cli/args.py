"""Values on the command line: -p pairs and parameter files, durations (10m, 1h), label
selectors and labels, regular expressions. The argparse ``type=`` functions raise
``argparse.ArgumentTypeError``, so a bad value is a usage error, not a traceback."""
from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING, Sequence

# durations and label selectors are runs() filters too (runset): they live below the CLI
from ..filters import LABEL, UNITS, labels_match, parse_duration, parse_selector  # noqa: F401

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
