"""Reading and checking Argo Workflows documents before anything runs.

``load`` turns a path, YAML/JSON text, a dict or a Hera object into ``Document``s that keep
the line/column of every field; ``validate`` checks a Document against Argo's own schema
(plus a strict unknown-field check) and a semantic lint; ``load_workflow`` does both and
raises ``SpecError`` carrying every error, each rendered as
``file:line:col: spec.templates[1].container.args: expected a list, got a string``.

Importing this package is cheap: ``jsonschema`` and the 600 kB schema are loaded on the
first ``validate``.
"""
from __future__ import annotations

from typing import Any, Callable

from jupyter_flow.errors import LintError, SpecError
from jupyter_flow.spec.document import Document, format_path
from jupyter_flow.spec.loader import load

# Imported eagerly (it is light) so that the submodule ``jupyter_flow.spec.lint`` is bound
# before the function ``lint`` below, which must win the package attribute.
from jupyter_flow.spec.lint import lint_document as _lint_document  # noqa: E402

__all__ = ["Document", "load", "validate", "load_workflow", "lint", "format_path", "Registry"]

#: ``registry(name, cluster_scope)`` -> the (Cluster)WorkflowTemplate (dict or Document) or None.
Registry = Callable[[str, bool], Any]

_ARGO_KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow", "WorkflowEventBinding")
_TEMPLATE_KINDS = {"WorkflowTemplate": False, "ClusterWorkflowTemplate": True}


def validate(doc: Document | dict, *, registry: Registry | None = None) -> list[LintError]:
    """Every problem in ``doc`` (errors and warnings), sorted by position.

    Non-Argo documents (a ConfigMap next to a workflow) are not checked. ``registry``
    resolves ``templateRef``/``workflowTemplateRef``; without one those references are
    trusted.
    """
    from jupyter_flow.spec.schema import schema_errors

    if isinstance(doc, dict):  # convenience for notebook users
        doc = load(doc)[0]
    out: list[LintError] = []
    for path, message, severity, (line, col) in doc.load_issues:
        out.append(LintError(message=message, path=format_path(path), file=doc.filename,
                             line=line, column=col, severity=severity))
    data = doc.data
    kind = doc.kind if doc.kind_inferred else data.get("kind")
    if doc.kind_inferred:
        out.append(doc.error((), 'missing "kind"; assuming kind: Workflow', severity="warning"))
    if kind is None:
        out.append(doc.error((), 'missing required field "kind" (e.g. kind: Workflow)'))
        return out
    if kind not in _ARGO_KINDS:
        api = data.get("apiVersion")
        if isinstance(api, str) and api.startswith("argoproj.io/") or not isinstance(kind, str):
            out.append(doc.error(("kind",), f"unsupported kind {kind!r}; expected one of "
                                 + ", ".join(_ARGO_KINDS[:4]), at_value=True))
        return out
    shape = _drop_defaulted_image(doc, schema_errors(doc))
    out.extend(shape)
    try:
        out.extend(_lint_document(doc, registry))
    except (TypeError, AttributeError, KeyError, IndexError):
        # the semantic checks walk the document's shape; a field of the wrong type (``templates:
        # true``) is what the schema errors above already locate. Without one it is our bug: raise.
        if not any(e.severity == "error" for e in shape):
            raise
    seen = set()
    unique = []
    for err in sorted(out, key=lambda e: (e.line or 10**9, e.column, e.path)):
        key = (err.path, err.message, err.line, err.column)
        if key not in seen:
            seen.add(key)
            unique.append(err)
    return unique


def _drop_defaulted_image(doc: Document, errors: list[LintError]) -> list[LintError]:
    """``image`` may come from ``spec.templateDefaults``; the schema cannot know that."""
    spec = doc.data.get("spec")
    if doc.kind == "CronWorkflow" and isinstance(spec, dict):
        spec = spec.get("workflowSpec")
    defaults = spec.get("templateDefaults") if isinstance(spec, dict) else None
    if not isinstance(defaults, dict):
        return errors
    kinds = [k for k in ("container", "script") if isinstance(defaults.get(k), dict) and defaults[k].get("image")]
    return [e for e in errors
            if not (e.message == 'missing required field "image"' and e.path.rsplit(".", 1)[-1] in kinds)]


class _SiblingRegistry:
    """Templates defined next to the workflow in the same source, then the caller's registry.

    ``partial`` tells the lint that a miss may just be a template defined elsewhere, so
    it must not be reported, unless the caller supplied a registry of their own.
    """

    def __init__(self, docs: list[Document], fallback: Registry | None):
        self.local: dict[tuple[str, bool], dict] = {}
        for d in docs:
            if d.kind in _TEMPLATE_KINDS and isinstance(d.data.get("metadata"), dict):
                name = d.data["metadata"].get("name")
                if isinstance(name, str):
                    self.local[(name, _TEMPLATE_KINDS[d.kind])] = d.data
        self.fallback = fallback
        self.partial = fallback is None

    def __call__(self, name: str, cluster_scope: bool) -> Any:
        found = self.local.get((name, bool(cluster_scope)))
        if found is None and self.fallback is not None:
            found = self.fallback(name, cluster_scope)
        return found


def _registry_for(docs: list[Document], registry: Registry | None) -> Registry | None:
    if registry is None and not any(d.kind in _TEMPLATE_KINDS for d in docs):
        return None
    return _SiblingRegistry(docs, registry)


def lint(source: Any, filename: str | None = None, *, registry: Registry | None = None) -> list[LintError]:
    """All problems (errors and warnings) in every document of ``source``; never raises for bad input."""
    try:
        docs = load(source, filename=filename)
    except SpecError as exc:
        return exc.errors
    reg = _registry_for(docs, registry)
    out: list[LintError] = []
    for doc in docs:
        out.extend(validate(doc, registry=reg))
    return out


def load_workflow(source: Any, *, filename: str | None = None, registry: Registry | None = None) -> Document:
    """Load the one workflow in ``source`` and validate it; raise ``SpecError`` with every error.

    When the source holds several documents, the single ``Workflow`` is chosen (other
    documents, e.g. the WorkflowTemplates it references, serve as its registry); if there
    is no Workflow, the single CronWorkflow/WorkflowTemplate/ClusterWorkflowTemplate.
    Warnings do not fail the load; get them from ``validate``.
    """
    docs = load(source, filename=filename)
    name = filename or (docs[0].filename if docs else "<string>")
    if not docs:
        raise SpecError([LintError(message="no document found (empty input)", file=name)])
    workflows = [d for d in docs if d.kind == "Workflow"]
    candidates = workflows or [d for d in docs if d.kind in _ARGO_KINDS[:4]] or docs
    if len(candidates) > 1:
        first = candidates[1]
        line, col = first.locate(())
        raise SpecError([LintError(
            message=f"{len(candidates)} {candidates[0].kind or 'documents'}s in one source; "
            "use spec.load() to get them all",
            file=first.filename, line=line, column=col,
        )])
    doc = candidates[0]
    errors = [e for e in validate(doc, registry=_registry_for(docs, registry)) if e.severity == "error"]
    if errors:
        raise SpecError(errors)
    return doc
