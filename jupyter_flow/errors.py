"""Error types that may escape jupyter-flow's public API.

Every error a user can cause carries enough location to act on it: a spec error names
file, line, column and the field path; an expression error names the expression and the
offset. Surfaces (CLI, magics, server) print ``str(err)`` and nothing else, so the
message must be complete on its own.
"""
from __future__ import annotations

from dataclasses import dataclass


class JupyterFlowError(Exception):
    """Base class of every error jupyter-flow raises on purpose."""


@dataclass(frozen=True)
class LintError:
    """One problem found in a workflow document.

    ``path`` is the field path in Argo's notation, e.g. ``spec.templates[1].container.args``.
    ``line``/``column`` are 1-based positions in ``file`` (0 when unknown, e.g. for dicts).
    """

    message: str
    path: str = ""
    file: str = "<string>"
    line: int = 0
    column: int = 0
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}:{self.column}"
        field_ = f" {self.path}:" if self.path else ""
        return f"{where}:{field_} {self.message}"


class SpecError(JupyterFlowError):
    """A workflow document could not be loaded or is invalid; holds every problem found."""

    def __init__(self, errors: list[LintError]):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors) or "invalid workflow")


class ExprError(JupyterFlowError):
    """An expression (``when``, ``depends``, ``{{= }}``, ...) failed to parse or evaluate."""

    def __init__(self, message: str, expression: str = "", position: int | None = None):
        self.expression = expression
        self.position = position
        self.reason = message
        where = f" at offset {position}" if position is not None else ""
        text = f"{message}{where}"
        if expression:
            text += f" in expression {expression!r}"
        super().__init__(text)


class RunNotFound(JupyterFlowError):
    """No run with that name exists in the store."""


class StepError(JupyterFlowError):
    """A step could not be started (missing command, bad image mapping, ...)."""


class AmbiguousNode(JupyterFlowError, KeyError):
    """A node selector (a display name, e.g. ``run.outputs["generate"]``) names several nodes.

    Display names repeat (the same step name in two templates, a template called twice), so a
    display name is only a shortcut while it is unique; the message lists each node's id and
    full name, which always are.
    """

    def __init__(self, selector: str, matches: list[tuple[str, str]]):
        self.selector = selector
        self.matches = list(matches)
        listed = "; ".join(f"{nid} ({name})" for nid, name in self.matches)
        super().__init__(f"{selector!r} names {len(self.matches)} nodes: {listed}; select one by its id "
                         "or full name")

    def __str__(self) -> str:   # KeyError would quote the whole message
        return str(self.args[0])
