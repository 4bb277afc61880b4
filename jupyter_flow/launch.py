"""The launch pipeline: how every surface starts a run (papermill's ``execute_notebook`` shape).

:func:`launch` is one linear function over small stages; ``jupyter_flow.submit``, the CLI's
``submit``, the Jupyter server's submit and resubmit, the Argo-API server and the cron scheduler
all call it, so a stage (the backend from ``config.yaml``, the validation, the run's row) cannot
be skipped by one of them:

1. :func:`choose_backend`: the argument, else ``JUPYTER_FLOW_BACKEND`` / ``config.yaml``'s ``backend:``,
   else ``local``;
2. :func:`prepare`: load and validate the Workflow with the submit options applied (-p, names,
   labels, the step cache), every problem at once as a ``SpecError``; nothing is stored then;
3. :func:`record`: name the run and create its row (Pending, owned by this process);
4. :func:`begin`: the backend starts it, followed here or (``detach``) outliving this process.

It knows no surface: it returns the run's name and the handle following it (a ``Controller``,
the argo backend's ``ArgoRun``, or None); ``jupyter_flow.api`` wraps them in a ``Run``.
"""
from __future__ import annotations

import json
import os
import random
import uuid
from typing import TYPE_CHECKING, Any, Mapping

from . import timestamps
from .errors import JupyterFlowError, LintError, SpecError

if TYPE_CHECKING:  # pragma: no cover
    from .backends.base import Backend
    from .spec import Document

_SUFFIX = "bcdfghjklmnpqrstvwxz2456789"


class RunExists(JupyterFlowError):
    """A run of that name is already in the store (Kubernetes' AlreadyExists)."""


def open_store(store=None):
    """``store``, or the store of ``$JUPYTER_FLOW_HOME``."""
    from .store import open_store as _open
    return store if store is not None else _open()


def registry_for(store):
    """templateRef / workflowTemplateRef lookups against ``store``'s template registry."""
    from .store.db import registry_for as lookups
    return lookups(store)


def launch(source: Any, *, parameters: Mapping[str, Any] | None = None, name: str | None = None,
           generate_name: str | None = None, entrypoint: str | None = None,
           labels: Mapping[str, str] | None = None, filename: str | None = None,
           backend: "str | Backend | None" = None, store=None, cache: bool | None = None,
           continue_from: str | None = None, detach: bool = False) -> tuple[str, Any]:
    """Launch a Workflow (a path, YAML/JSON text or bytes, a dict, a Hera object, or a ``Document``
    :func:`prepare` returned) on ``backend``; returns ``(run name, handle)``.

    ``detach``: the run outlives this process (an engine process of its own; a cluster's run is
    followed from here while this process lives); the handle is then None for an engine run.
    """
    chosen = choose_backend(backend)
    store = open_store(store)
    doc = prepare(source, chosen, store, parameters=parameters, name=name, generate_name=generate_name,
                  entrypoint=entrypoint, labels=labels, filename=filename, cache=cache,
                  continue_from=continue_from)
    run_name = record(doc.data, store, chosen)
    return run_name, begin(run_name, doc.data, store, chosen, detach=detach)


def choose_backend(backend: "str | Backend | None" = None) -> "Backend":
    """Stage 1: the Backend to run on (unknown names fail here, listing the known ones)."""
    from .backends.base import Backend
    from .backends.registry import get_backend
    return backend if isinstance(backend, Backend) else get_backend(backend)


def prepare(source: Any, backend: "Backend", store, *, parameters: Mapping[str, Any] | None = None,
            name: str | None = None, generate_name: str | None = None, entrypoint: str | None = None,
            labels: Mapping[str, str] | None = None, filename: str | None = None,
            cache: bool | None = None, continue_from: str | None = None) -> "Document":
    """Stage 2: the validated Workflow, submit options applied. A ``Document`` this returned is
    taken as it is (the CLI prepares every file before it launches any)."""
    from .spec import Document
    if isinstance(source, Document):
        return source
    doc = load_document(source, filename=filename, store=store, backend=backend.name, options=dict(
        parameters=parameters, name=name, generate_name=generate_name, entrypoint=entrypoint,
        labels=dict(labels) if labels else None))
    if cache is not None or continue_from:
        from .engine.stepcache import annotate
        annotate(doc.data, cache=cache, continue_from=continue_from, store=store)
    return doc


def record(workflow: dict, store, backend: "Backend") -> str:
    """Stage 3: name the run (``metadata.name``, or one from ``generateName``), give it a uid, a
    namespace and a creation time, and create its row: Pending, owned by this process."""
    run_name = new_name(workflow, store)
    meta = workflow["metadata"]
    meta["name"] = run_name
    if not meta.get("namespace"):
        from . import config
        meta["namespace"] = config.namespace()
    meta["uid"] = uid = str(uuid.uuid4())
    meta["creationTimestamp"] = timestamps.now_iso()
    try:
        store.create_run(run_name, workflow, uid=uid, namespace=meta["namespace"], owner_pid=os.getpid(),
                         backend=backend.name)
    except Exception as exc:
        if store.exists(run_name):   # another process took the name between the check and the insert
            raise RunExists(f"workflow {run_name!r} already exists; delete it or use --generate-name") from exc
        raise
    return run_name


def begin(run_name: str, workflow: dict, store, backend: "Backend", *, detach: bool = False,
          previous_nodes: dict | None = None) -> Any:
    """Stage 4: the backend starts the recorded run; its handle (None when another process follows it)."""
    if detach:
        return backend.detach(run_name, workflow, store, retry=bool(previous_nodes))
    return backend.start(run_name, workflow, store, previous_nodes=previous_nodes)


def start(run_name: str, wf: dict, store, *, previous_nodes: dict | None = None, backend: str | None = None):
    """:func:`begin` for a run already recorded, on its recorded backend (unless ``backend``) and
    followed from this process (a sweep's scheduler starts its queued runs so)."""
    if backend is None:
        rec = store.get_run(run_name, with_nodes=False)
        backend = rec.backend if rec is not None else None
    return begin(run_name, wf, store, choose_backend(backend), previous_nodes=previous_nodes)


def create(spec: Any, *, parameters=None, name=None, generate_name=None, entrypoint=None, filename=None,
           store=None, backend: str | None = None, cache: bool | None = None,
           continue_from: str | None = None) -> tuple[str, dict]:
    """Stages 1-3 without starting: validate, apply submit options and create the run's row;
    returns (name, workflow). ``cache``/``continue_from``: the content step cache (engine/stepcache.py)."""
    chosen = choose_backend(backend)
    store = open_store(store)
    doc = prepare(spec, chosen, store, parameters=parameters, name=name, generate_name=generate_name,
                  entrypoint=entrypoint, filename=filename, cache=cache, continue_from=continue_from)
    return record(doc.data, store, chosen), doc.data


def load_document(spec: Any, *, filename: str | None = None, store=None, options: dict | None = None,
                  backend: str | None = None):
    """Load and validate a Workflow from a path, YAML/JSON text, a dict or a Hera object.

    Submit ``options`` (-p, --entrypoint, names) are applied before validation, so a -p can
    supply a parameter the document leaves without a value. A valid document given as text is
    remembered (``spec.cache``): the same text with the same options is not parsed, checked and
    linted again; each call gets a workflow of its own. For a remote ``backend`` (argo) the
    ``templateRef``/``workflowTemplateRef`` targets live on the cluster, which resolves them:
    the local template registry is not consulted and a template missing from it is no error.
    """
    from . import spec as specmod
    from .spec import cache
    from .spec.loader import looks_like_path
    key = None
    if isinstance(spec, str) and looks_like_path(spec):
        from pathlib import Path
        spec = Path(spec)   # decided here once: load() would ask (and stat the file) again
    elif isinstance(spec, (str, bytes)):
        key = cache.key_for(spec, filename, options)
        data = cache.get(key) if key is not None else None
        if data is not None:
            return specmod.Document(data=data, filename=filename or "<string>")
    docs = specmod.load(spec, filename=filename)
    workflows = [d for d in docs if d.kind == "Workflow"]
    if not workflows:
        kinds = ", ".join(sorted({d.kind or "?" for d in docs})) or "nothing"
        name = docs[0].filename if docs else (filename or "<string>")
        line, col = docs[0].locate(("kind",)) if docs else (0, 0)
        raise SpecError([LintError(f"expected a Workflow document, found {kinds}"
                                   + ("; store templates with `jupyter-flow template create`"
                                      if "WorkflowTemplate" in kinds else ""), path="kind", file=name,
                                   line=line, column=col)])
    doc = workflows[0]
    if options:
        doc.data = apply_options(doc.data, **options)
    lookups = []
    remote = _is_remote(backend)
    stored = None if remote else registry_for(open_store(store))

    def registry(name: str, cluster_scope: bool):
        lookups.append(name)
        return stored(name, cluster_scope)
    errors = [e for e in specmod.validate(doc, registry=None if remote else registry) if e.severity == "error"]
    if errors:
        import dataclasses
        # the file's line is not where a value given at submit came from
        for option, path, flag in (("entrypoint", "spec.entrypoint", "--entrypoint"), ("name", "metadata.name", "--name"),
                                   ("generate_name", "metadata.generateName", "--generate-name")):
            if options and options.get(option):
                given = f" (the {path.split('.')[1]} {options[option]!r} was given at submit: {flag})"
                errors = [dataclasses.replace(e, message=e.message + given) if e.path == path else e
                          for e in errors]
        raise SpecError(errors)
    unset = _arguments_without_value(doc)
    if unset:
        raise SpecError(unset)
    if key is not None and not lookups and not remote:   # a result that depends on the registry is not kept
        cache.put(key, doc.data)
    return doc


def _arguments_without_value(doc) -> list[LintError]:
    """What ``argo submit`` refuses and ``argo lint`` allows (validate.go validateArgumentsValues
    with allowEmptyValues only when linting): a workflow argument with neither value nor
    valueFrom once -p values are in (a template's inputs would otherwise end the run in Error)."""
    args = (doc.data.get("spec") or {}).get("arguments") or {}
    params = args.get("parameters") if isinstance(args, dict) else None
    out = []
    for i, p in enumerate(params if isinstance(params, list) else []):
        if isinstance(p, dict) and p.get("value") is None and p.get("valueFrom") is None:
            name = p.get("name")
            line, col = doc.locate(("spec", "arguments", "parameters", i))
            out.append(LintError(f"spec.arguments.{name}.value or spec.arguments.{name}.valueFrom is required "
                                 f"(give it with -p {name}=VALUE)", path=f"spec.arguments.parameters[{i}]",
                                 file=doc.filename, line=line, column=col))
    return out


def _is_remote(backend: str | None) -> bool:
    """Whether the named backend runs whole Workflows elsewhere (a cluster resolves their templates)."""
    if not backend:
        return False
    from .backends.registry import backends
    return backends.get(backend).remote


def apply_options(workflow: dict, *, parameters: Mapping[str, Any] | None = None, name: str | None = None,
                  generate_name: str | None = None, entrypoint: str | None = None,
                  labels: Mapping[str, str] | None = None) -> dict:
    """What ``argo submit`` does to a Workflow before creating it: -p, --entrypoint, names."""
    wf = json.loads(json.dumps(workflow))
    meta = wf.setdefault("metadata", {})
    spec = wf.setdefault("spec", {})
    if parameters:
        args = spec.setdefault("arguments", {})
        plist = args.setdefault("parameters", [])
        for key, value in parameters.items():
            from .engine.variables import param_text
            value = param_text(value)
            for p in plist:
                if p.get("name") == key:
                    p["value"] = value
                    p.pop("valueFrom", None)
                    break
            else:
                plist.append({"name": key, "value": value})
    if entrypoint:
        spec["entrypoint"] = entrypoint
    if labels:
        meta.setdefault("labels", {}).update(labels)
    if name:
        meta["name"] = name
    elif generate_name:
        meta.pop("name", None)
        meta["generateName"] = generate_name
    return wf


def new_name(workflow: dict, store) -> str:
    """The run's name: ``metadata.name`` when free, else a fresh one from ``generateName``."""
    meta = workflow.get("metadata") or {}
    if meta.get("name"):
        if store.exists(meta["name"]):
            raise RunExists(f"workflow {meta['name']!r} already exists; delete it or use --generate-name")
        return meta["name"]
    prefix = meta.get("generateName") or "workflow-"
    from .spec.names import GENERATED_SUFFIX, generated_name
    for _ in range(100):
        name = generated_name(prefix, "".join(random.choice(_SUFFIX) for _ in range(GENERATED_SUFFIX)))
        if not store.exists(name):
            return name
    raise JupyterFlowError("could not find a free workflow name")
