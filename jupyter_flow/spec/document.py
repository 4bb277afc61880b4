"""The loaded form of one workflow document: plain data plus where each field was written.

Everything downstream (schema check, semantic lint, the engine's own error messages) talks
about fields by *path tuple* (``("spec", "templates", 1, "container", "args")``); the
``Document`` turns such a path back into a ``file:line:col`` so that every message a user
sees points at the line to fix, even when the path goes deeper than what was written (for
instance into a merged ``<<:`` mapping or an alias), by falling back to the nearest ancestor.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from jupyter_flow.errors import LintError

Path = tuple  # tuple[str | int, ...]; str = mapping key, int = sequence index
Position = tuple  # (line, column), 1-based; (0, 0) when unknown

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_\-]+\Z")


def format_path(path: Iterable[Any]) -> str:
    """Render a path tuple in Argo's notation: ``spec.templates[1].container.args``.

    Keys that would be ambiguous after a dot (``app.kubernetes.io/name``) are quoted in
    brackets, ``metadata.labels["app.kubernetes.io/name"]``, so a path is always readable
    back unambiguously.
    """
    out: list[str] = []
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out.append(f"[{part}]")
        else:
            key = str(part)
            if _PLAIN_KEY.match(key):
                out.append(("." if out else "") + key)
            else:
                out.append('["' + key.replace("\\", "\\\\").replace('"', '\\"') + '"]')
    return "".join(out)


@dataclass
class Document:
    """One YAML/JSON document (a Workflow, WorkflowTemplate, ...) with source positions.

    ``key_positions`` maps a path to where that field is *named* (the mapping key) or, for
    a sequence item, where the item starts; ``value_positions`` maps a mapping entry's path
    to where its value starts. Documents built from dicts or Hera objects have no
    positions; ``locate`` then answers ``(0, 0)`` and messages omit the line.
    """

    data: dict
    filename: str = "<string>"
    key_positions: dict = field(default_factory=dict, repr=False)
    value_positions: dict = field(default_factory=dict, repr=False)
    #: problems noticed while reading that are not syntax errors (duplicate keys,
    #: YAML 1.1 boolean-looking keys); reported by ``validate``.
    load_issues: list = field(default_factory=list, repr=False)
    #: index of this document in a multi-document source (0-based).
    index: int = 0

    @property
    def kind(self) -> str | None:
        """The document's ``kind`` (``Workflow``, ``WorkflowTemplate``, ...), if a string.

        A document without ``kind`` whose ``spec`` looks like a workflow (has templates, an
        entrypoint or a workflowTemplateRef) is taken to be a ``Workflow``: notebook users
        often omit the boilerplate, and ``validate`` warns about it.
        """
        kind = self.data.get("kind")
        if kind is None and self.kind_inferred:
            return "Workflow"
        return kind if isinstance(kind, str) else None

    @property
    def kind_inferred(self) -> bool:
        """True when ``kind`` is missing and ``Workflow`` is assumed from the spec's shape."""
        if "kind" in self.data:
            return False
        spec = self.data.get("spec")
        return isinstance(spec, dict) and any(
            k in spec for k in ("templates", "entrypoint", "workflowTemplateRef")
        )

    @property
    def name(self) -> str | None:
        """``metadata.name``, else ``metadata.generateName`` (what ``argo get`` would show)."""
        meta = self.data.get("metadata")
        if not isinstance(meta, dict):
            return None
        for key in ("name", "generateName"):
            value = meta.get(key)
            if isinstance(value, str) and value:
                return value
        return None

    def locate(self, path: Iterable[Any]) -> Position:
        """Where ``path`` is written: its key (or item start), else its nearest known ancestor."""
        path = tuple(path)
        keys = self.key_positions
        values = self.value_positions
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            pos = keys.get(prefix) or values.get(prefix)
            if pos:
                return pos
        return (0, 0)

    def locate_value(self, path: Iterable[Any]) -> Position:
        """Where the *value* at ``path`` starts (falls back like ``locate``).

        Used for errors about the value itself (wrong type, bad enum) so the column points
        at the offending text rather than at the field name.
        """
        path = tuple(path)
        pos = self.value_positions.get(path)
        return pos if pos else self.locate(path)

    def error(
        self,
        path: Iterable[Any],
        message: str,
        *,
        severity: str = "error",
        at_value: bool = False,
    ) -> LintError:
        """Build a ``LintError`` for ``path`` in this document (file, line, column, path)."""
        path = tuple(path)
        line, col = self.locate_value(path) if at_value else self.locate(path)
        return LintError(
            message=message,
            path=format_path(path),
            file=self.filename,
            line=line,
            column=col,
            severity=severity,
        )
