"""Bounded YAML reading that keeps the line and column of every key, value and item.

Why not ``yaml.safe_load``: it forgets positions, and a hostile document can make it hang
or exhaust memory (a "billion laughs" alias bomb expands exponentially; a few hundred
thousand nested ``[`` crash libyaml's recursive composer with a segfault). So we consume
the parser's *event stream* (libyaml's C parser when available) and build plain data with
an explicit stack, which lets us bound nesting depth and the total number of nodes
*after* alias expansion before any of that work is done.

Typing choices (documented because YAML 1.1 and Argo's Go reader disagree in places):
- Mapping keys are always strings, exactly as written: ``on:`` stays ``"on"`` (Go's
  YAML 1.1 reader would turn it into ``"true"``; we report a warning instead of silently
  renaming a key).
- Plain scalar values follow YAML 1.1 as PyYAML and go-yaml v2 do for null, booleans
  (``yes``/``no``/``on``/``off``/``true``/``false``), ints (decimal, ``0x``, ``0b``, leading-``0``
  octal, ``_`` separators) and floats; but sexagesimal numbers (``1:30``) and timestamps
  stay strings (go-yaml keeps ``12:30`` and ``2024-01-01`` as strings, and so do we).
- Aliases are expanded into independent copies, so later in-place edits of one
  occurrence never leak into another.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from jupyter_flow.errors import LintError

try:  # libyaml's C parser: ~10x faster than the pure-Python one
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

#: deepest allowed nesting of mappings/sequences (Argo specs rarely exceed ~15).
MAX_DEPTH = 100
#: most nodes one document may hold after alias expansion.
MAX_NODES = 1_000_000

_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"}
_FALSE = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"}
_INT = re.compile(
    r"[-+]?(?:0b[01_]+|0x[0-9a-fA-F_]+|0[0-7_]+|0|[1-9][0-9_]*)\Z"
)
_FLOAT = re.compile(
    r"[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?\Z"
    r"|[-+]?\.(?:inf|Inf|INF)\Z|\.(?:nan|NaN|NAN)\Z"
)
_CORE = "tag:yaml.org,2002:"


class YamlLoadError(Exception):
    """Raised with a ready ``LintError`` when the text cannot be read."""

    def __init__(self, error: LintError):
        super().__init__(str(error))
        self.error = error


@dataclass
class RawDocument:
    data: Any
    key_positions: dict = field(default_factory=dict)
    value_positions: dict = field(default_factory=dict)
    issues: list = field(default_factory=list)  # (path, message, severity)
    start: tuple = (1, 1)


def _to_int(text: str) -> int:
    sign = -1 if text[0] == "-" else 1
    body = text.lstrip("+-").replace("_", "")
    if body.startswith("0b"):
        return sign * int(body[2:], 2)
    if body.startswith("0x"):
        return sign * int(body[2:], 16)
    if len(body) > 1 and body[0] == "0":
        return sign * int(body, 8)
    return sign * int(body)


def _to_float(text: str) -> float:
    low = text.lower().replace("_", "")
    if low.endswith(".nan"):
        return float("nan")
    if low.endswith(".inf"):
        return float("-inf") if low.startswith("-") else float("inf")
    return float(low)


def resolve_plain(text: str) -> Any:
    """Type of an untagged plain scalar (see the module docstring for the choices)."""
    if len(text) <= 5:
        if text in _NULL:
            return None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    first = text[:1]
    if first.isdigit() or first in "+-.":
        try:
            if _INT.match(text):
                return _to_int(text)
            if _FLOAT.match(text):
                return _to_float(text)
        except ValueError:
            return text
    return text


def _scalar(event: Any, filename: str) -> Any:
    tag = event.tag
    value = event.value
    if tag is None:
        return resolve_plain(value) if event.implicit[0] else value
    if tag == "!" or tag == _CORE + "str":
        return value
    if tag == _CORE + "null":
        return None
    if tag == _CORE + "bool":
        if value in _TRUE or value in _FALSE:
            return value in _TRUE
    elif tag == _CORE + "int":
        if _INT.match(value):
            return _to_int(value)
    elif tag == _CORE + "float":
        try:
            return _to_float(value)
        except ValueError:
            pass
    else:
        raise _fail(event.start_mark, f"unsupported YAML tag {tag!r}", filename)
    raise _fail(event.start_mark, f"cannot read {value!r} as {tag.rsplit(':', 1)[-1]}", filename)


def _hint(text: str | bytes, mark: Any, message: str) -> str:
    """What to do about the parser's message, for the mistakes people make most: a tab in the
    indentation, a line indented differently from its siblings."""
    if mark is None:
        return ""
    text = text if isinstance(text, str) else text.decode("utf-8", "replace")
    lines = text.splitlines()
    line = lines[mark.line] if 0 <= mark.line < len(lines) else ""
    if "\t" in line[:max(mark.column, 0) + 1] or ("cannot start any token" in message and "\t" in line):
        return " (a tab character: YAML indents with spaces only; replace the tab with spaces)"
    if "did not find expected key" in message or "mapping values are not allowed here" in message:
        return (" (check this line's indentation: keys of one mapping start in the same column, and a value "
                "that is itself a mapping is indented under its key; a value with ': ' in it needs quotes)")
    if "did not find expected '-' indicator" in message:
        return " (check this line's indentation: items of one list start with '- ' in the same column)"
    return ""


def _fail(mark: Any, message: str, filename: str) -> YamlLoadError:
    line = mark.line + 1 if mark is not None else 0
    col = mark.column + 1 if mark is not None else 0
    return YamlLoadError(LintError(message=message, file=filename, line=line, column=col))


def _copy(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _copy(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_copy(v) for v in obj]
    return obj


class _Frame:
    __slots__ = ("obj", "path", "is_map", "key", "key_pos", "merges", "anchor", "size", "merge_into", "seen")

    def __init__(self, obj: Any, path: tuple, anchor: str | None, merge_into: "_Frame | None"):
        self.obj = obj
        self.path = path
        self.is_map = isinstance(obj, dict)
        self.key: Any = _NO_KEY
        self.key_pos: tuple = (0, 0)
        self.merges: list = []
        self.anchor = anchor
        self.size = 1
        self.merge_into = merge_into  # set when this container is the value of "<<"
        self.seen: set | None = set() if self.is_map else None


_NO_KEY = object()
_MERGE = object()


def read_documents(text: str | bytes, filename: str = "<string>") -> list[RawDocument]:
    """Parse every document of a YAML stream into ``RawDocument``s (empty ones skipped).

    Raises ``YamlLoadError`` for syntax errors, unsupported tags, complex keys, nesting
    deeper than ``MAX_DEPTH`` and documents larger than ``MAX_NODES`` after alias expansion.
    """
    ev_scalar = yaml.ScalarEvent
    ev_alias = yaml.AliasEvent
    ev_map = yaml.MappingStartEvent
    ev_seq = yaml.SequenceStartEvent
    ev_end = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    ev_doc_start = yaml.DocumentStartEvent
    ev_doc_end = yaml.DocumentEndEvent

    docs: list[RawDocument] = []
    stack: list[_Frame] = []
    anchors: dict[str, tuple[Any, int] | None] = {}
    raw: RawDocument | None = None
    root: list = []
    total = 0

    def place(value: Any, mark: Any, size: int) -> tuple | None:
        """Attach a finished value (or an opened container) to the frame on top."""
        pos = (mark.line + 1, mark.column + 1)
        if not stack:
            root.append(value)
            raw.start = pos  # type: ignore[union-attr]
            return ()
        top = stack[-1]
        top.size += size
        if not top.is_map:
            path = top.path + (len(top.obj),)
            raw.key_positions[path] = pos  # type: ignore[union-attr]
            top.obj.append(value)
            return path
        key = top.key
        top.key = _NO_KEY
        if key is _MERGE:
            items = value if isinstance(value, list) else [value]
            if not all(isinstance(i, dict) for i in items):
                raise _fail(mark, "a merge key (<<) needs a mapping or a list of mappings", filename)
            top.merges.extend(items)
            return None
        path = top.path + (key,)
        raw.key_positions[path] = top.key_pos  # type: ignore[union-attr]
        raw.value_positions[path] = pos  # type: ignore[union-attr]
        top.obj[key] = value
        return path

    try:
        for event in yaml.parse(text, Loader=_Loader):
            etype = type(event)
            if etype is ev_scalar:
                total += 1
                top = stack[-1] if stack else None
                if top is not None and top.is_map and top.key is _NO_KEY:
                    key = event.value
                    mark = event.start_mark
                    if key == "<<" and event.tag is None and event.implicit[0]:
                        top.key = _MERGE
                        continue
                    path = top.path + (key,)
                    if key in top.seen:
                        raw.issues.append((
                            path, f'duplicate key "{key}" (the last one wins)', "warning",
                            (mark.line + 1, mark.column + 1),
                        ))
                    top.seen.add(key)
                    if event.tag is None and event.implicit[0] and (key in _TRUE or key in _FALSE):
                        raw.issues.append((
                            path,
                            f'key "{key}" is a YAML 1.1 boolean; Argo would read it as '
                            f'"{str(key in _TRUE).lower()}" (quote it to be safe)',
                            "warning",
                            (mark.line + 1, mark.column + 1),
                        ))
                    top.key = key
                    top.key_pos = (mark.line + 1, mark.column + 1)
                    continue
                place(_scalar(event, filename), event.start_mark, 1)
                if event.anchor:
                    anchors[event.anchor] = (_scalar(event, filename), 1)
            elif etype is ev_map or etype is ev_seq:
                total += 1
                top = stack[-1] if stack else None
                if top is not None and top.is_map and top.key is _NO_KEY:
                    raise _fail(event.start_mark, "complex (non-scalar) mapping keys are not supported", filename)
                if len(stack) >= MAX_DEPTH:
                    raise _fail(event.start_mark, f"document nests deeper than {MAX_DEPTH} levels", filename)
                if event.tag not in (None, "!", _CORE + ("map" if etype is ev_map else "seq")):
                    raise _fail(event.start_mark, f"unsupported YAML tag {event.tag!r}", filename)
                obj: Any = {} if etype is ev_map else []
                merging = top is not None and top.is_map and top.key is _MERGE
                if merging:
                    top.key = _NO_KEY
                    path: tuple | None = top.path + ("<<",)
                else:
                    path = place(obj, event.start_mark, 0)
                frame = _Frame(obj, path or (), event.anchor, top if merging else None)
                if event.anchor:
                    anchors[event.anchor] = None  # being built: an alias to it is recursive
                stack.append(frame)
            elif etype in ev_end:
                frame = stack.pop()
                if frame.merges:
                    merged: dict = {}
                    for source in frame.merges:
                        for k, v in source.items():
                            merged.setdefault(k, _copy(v))
                    explicit = list(frame.obj.items())
                    frame.obj.clear()
                    frame.obj.update(merged)
                    frame.obj.update(explicit)
                if frame.anchor:
                    anchors[frame.anchor] = (frame.obj, frame.size)
                if frame.merge_into is not None:
                    frame.merge_into.merges.append(frame.obj) if frame.is_map else frame.merge_into.merges.extend(frame.obj)
                    frame.merge_into.size += frame.size
                elif stack:
                    stack[-1].size += frame.size
            elif etype is ev_alias:
                found = anchors.get(event.anchor, False)
                if found is False:
                    raise _fail(event.start_mark, f"unknown alias *{event.anchor}", filename)
                if found is None:
                    raise _fail(event.start_mark, f"recursive alias *{event.anchor}", filename)
                value, size = found
                total += size
                if total > MAX_NODES:
                    raise _fail(event.start_mark, f"document expands to more than {MAX_NODES} nodes (alias bomb?)", filename)
                top = stack[-1] if stack else None
                if top is not None and top.is_map and top.key is _NO_KEY:
                    raise _fail(event.start_mark, "aliases as mapping keys are not supported", filename)
                place(_copy(value), event.start_mark, size)
            elif etype is ev_doc_start:
                raw = RawDocument(data=None)
                root = []
                anchors = {}
                total = 0
            elif etype is ev_doc_end:
                if root and root[0] is not None:
                    raw.data = root[0]  # type: ignore[union-attr]
                    docs.append(raw)  # type: ignore[arg-type]
                raw = None
            if total > MAX_NODES:
                raise _fail(getattr(event, "start_mark", None), f"document has more than {MAX_NODES} nodes", filename)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        if "maximum nesting depth" in message:   # PyYAML >= 6.0.4 has its own depth guard
            raise _fail(mark, f"document nests deeper than {MAX_DEPTH} levels", filename) from None
        raise _fail(mark, f"YAML syntax error: {message}{_hint(text, mark, message)}", filename) from None
    except yaml.reader.ReaderError as exc:   # a control character: no mark, only a position
        text_ = text if isinstance(text, str) else text.decode("utf-8", "replace")
        pos = max(0, min(int(exc.position), len(text_)))
        mark = yaml.Mark(filename, pos, text_.count("\n", 0, pos), pos - (text_.rfind("\n", 0, pos) + 1), None, None)
        char = exc.character if isinstance(exc.character, int) else ord(exc.character or "\0")
        raise _fail(mark, f"YAML syntax error: unacceptable character #x{char:04x}: {exc.reason}", filename) from None
    except yaml.YAMLError as exc:
        raise _fail(None, f"YAML error: {exc}", filename) from None
    except RecursionError:  # pragma: no cover - guarded by MAX_DEPTH
        raise _fail(None, "document nests too deeply", filename) from None
    return docs
