"""Turn whatever the user has (a file, YAML/JSON text, a dict, a Hera object) into Documents.

One entry point, ``load``, so that the CLI, the notebook magics and the Python API accept
the same inputs and report the same errors. Inputs are never executed: Hera objects are
only asked for their dict form, and YAML is read with the bounded reader in ``yamlread``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from jupyter_flow.errors import LintError, SpecError
from jupyter_flow.spec.document import Document
from jupyter_flow.spec.yamlread import RawDocument, YamlLoadError, read_documents

_FILE_SUFFIXES = (".yaml", ".yml", ".json")
#: refuse files bigger than this (a workflow is kilobytes; this guards against mistakes).
MAX_FILE_BYTES = 50 * 1024 * 1024


def load(source: Any, *, filename: str | None = None) -> list[Document]:
    """Read every document in ``source``; raise ``SpecError`` if it cannot be read.

    ``source`` may be a path (``str``/``Path`` to an existing ``.yaml``/``.yml``/``.json``
    file), YAML or JSON text (``str``/``bytes``), a file-like object, a ``dict`` (one
    document) or a list of dicts, or a Hera object (anything with ``to_dict()``, or with
    ``build()`` returning a model). Empty YAML documents are skipped. Each Document keeps
    the line/column of every field when the source was text.
    """
    if isinstance(source, Document):
        return [source]
    if isinstance(source, os.PathLike) or (isinstance(source, str) and looks_like_path(source)):
        return _load_path(Path(source), filename)
    if isinstance(source, (str, bytes, bytearray)):
        return _load_text(source, filename or "<string>")
    if isinstance(source, dict):
        return [_from_plain(source, filename or "<string>", 0)]
    if isinstance(source, (list, tuple)) and all(isinstance(d, dict) for d in source):
        return [_from_plain(d, filename or "<string>", i) for i, d in enumerate(source)]
    if hasattr(source, "read") and callable(source.read):
        name = filename or str(getattr(source, "name", "") or "<string>")
        return _load_text(source.read(), name)
    data = _from_hera(source)
    if data is not None:
        return [_from_plain(data, filename or "<string>", 0)]
    raise SpecError([LintError(
        message=f"cannot load a workflow from {type(source).__name__}; expected a path, "
        "YAML/JSON text, a dict or a Hera object",
        file=filename or "<string>",
    )])


def looks_like_path(text: str) -> bool:
    """A one-line string naming an existing file, or ending in .yaml/.yml/.json, is a path.

    Public because ``api.load_document`` decides by the same rule which strings are document text
    it may cache (a path's file can change under the same string)."""
    if "\n" in text or not text.strip() or len(text) > 4096:
        return False
    stripped = text.strip()
    if stripped.endswith(_FILE_SUFFIXES) and not stripped.startswith(("{", "[")) and ": " not in stripped:
        return True
    try:
        return os.path.isfile(stripped)
    except (OSError, ValueError):
        return False


def _load_path(path: Path, filename: str | None) -> list[Document]:
    name = filename or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SpecError([LintError(message=f"file is too large ({size} bytes)", file=name)])
        data = path.read_bytes()
    # a file that cannot be read is named as it was looked for (``filename`` names the content)
    except FileNotFoundError:
        raise SpecError([LintError(message="file not found", file=str(path))]) from None
    except IsADirectoryError:
        raise SpecError([LintError(message="is a directory, not a workflow file", file=str(path))]) from None
    except OSError as exc:
        raise SpecError([LintError(message=f"cannot read file: {exc.strerror or exc}", file=str(path))]) from None
    return _load_text(data, name)


def _load_text(text: str | bytes | bytearray, filename: str) -> list[Document]:
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SpecError([LintError(message=f"not UTF-8 text: {exc.reason}", file=filename)]) from None
    try:
        raws = read_documents(text, filename)
    except YamlLoadError as exc:
        # JSON is YAML, except for a few escapes and tabs; give JSON a chance before failing.
        if exc.error.message.startswith("YAML syntax error") and text.lstrip().startswith(("{", "[")):
            try:
                data = json.loads(text)
            except (ValueError, RecursionError):
                pass
            else:
                items = data if isinstance(data, list) else [data]
                if all(isinstance(d, dict) for d in items):
                    return [_from_plain(d, filename, i) for i, d in enumerate(items)]
        raise SpecError([exc.error]) from None
    docs = []
    for index, raw in enumerate(raws):
        if not isinstance(raw.data, dict):
            line, col = raw.start
            got = "a list" if isinstance(raw.data, list) else "a scalar"
            raise SpecError([LintError(
                message=f"a workflow document must be a mapping, got {got}",
                file=filename, line=line, column=col,
            )])
        docs.append(_from_raw(raw, filename, index))
    return docs


def drop_nulls(data: Any) -> Any:
    """``data`` with every mapping entry whose value is null removed, in place.

    Go's JSON decoding (Argo's, Kubernetes') leaves a field given as null at its zero value, as if
    absent; YAML written by Go tools (KFP's compiler, ``kubectl -o yaml``, client libraries)
    carries ``creationTimestamp: null``, ``status: {startedAt: null}`` or ``container: null``
    beside a ``dag``. Dropping them once here makes lint, the schema and the engine read such a
    document as Argo does. List items stay: a null item is a value there."""
    stack = [data]
    while stack:
        obj = stack.pop()
        if isinstance(obj, dict):
            for key in [k for k, v in obj.items() if v is None]:
                del obj[key]
            stack.extend(v for v in obj.values() if isinstance(v, (dict, list)))
        elif isinstance(obj, list):
            stack.extend(v for v in obj if isinstance(v, (dict, list)))
    return data


def _from_raw(raw: RawDocument, filename: str, index: int) -> Document:
    raw.key_positions.setdefault((), raw.start)
    return Document(
        data=drop_nulls(raw.data),
        filename=filename,
        key_positions=raw.key_positions,
        value_positions=raw.value_positions,
        load_issues=raw.issues,
        index=index,
    )


def _from_plain(data: dict, filename: str, index: int) -> Document:
    """Wrap a dict after making it plain JSON data (so later code never sees odd types)."""
    try:
        plain = json.loads(json.dumps(data, default=_jsonable))
    except RecursionError:
        raise SpecError([LintError(message="data nests too deeply", file=filename)]) from None
    except (TypeError, ValueError) as exc:
        raise SpecError([LintError(message=f"not JSON-like data: {exc}", file=filename)]) from None
    if not isinstance(plain, dict):
        raise SpecError([LintError(message="a workflow document must be a mapping", file=filename)])
    return Document(data=drop_nulls(plain), filename=filename, index=index)


def _jsonable(obj: Any) -> Any:
    value = getattr(obj, "value", None)  # enums (Hera uses them for e.g. retry policies)
    if isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def _from_hera(obj: Any) -> dict | None:
    """Dict form of a Hera object: ``to_dict()``, else ``build()`` then the model's dump.

    Hera's ``Workflow.to_dict()`` is ``build().dict(exclude_none=True, by_alias=True)``; we
    reproduce the fallback without importing Hera so that pydantic v1 and v2 models work.
    """
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        data = to_dict()
        return data if isinstance(data, dict) else None
    build = getattr(obj, "build", None)
    if callable(build):
        model = build()
        if isinstance(model, dict):
            return model
        for method, kwargs in (
            ("to_dict", {}),
            ("model_dump", {"exclude_none": True, "by_alias": True, "mode": "json"}),
            ("dict", {"exclude_none": True, "by_alias": True}),
        ):
            fn = getattr(model, method, None)
            if callable(fn):
                data = fn(**kwargs)
                if isinstance(data, dict):
                    return data
    return None
