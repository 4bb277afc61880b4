"""Argo's WorkflowTemplateService, ClusterWorkflowTemplateService and CronWorkflowService over
the store's template registry (the one ``jupyter-flow template`` and ``jupyter-flow cron`` use).

The registry keys documents by kind and name only, so a WorkflowTemplate or CronWorkflow name is
unique across namespaces here (a second namespace's same name is AlreadyExists); its
``metadata.namespace`` is kept and every namespaced route filters by it.
"""
from __future__ import annotations

import json
import os
import time
import uuid
from typing import Any, Mapping

from .. import timestamps
from ..errors import JupyterFlowError, SpecError
from .errors import already_exists, invalid, not_found
from .shape import check_name, check_namespace, labels_match, parse_label_selector
from .workflows import spec_message

# kind -> (plural for messages, the request body's field, namespaced?)
KINDS = {
    "WorkflowTemplate": ("workflowtemplates", "template", True),
    "ClusterWorkflowTemplate": ("clusterworkflowtemplates", "template", False),
    "CronWorkflow": ("cronworkflows", "cronWorkflow", True),
}


def _now() -> str:
    return timestamps.now_iso()


class TemplateOps:
    def __init__(self, home: str | os.PathLike | None = None):
        self._home = home

    @property
    def store(self):
        from ..store import open_store
        return open_store(self._home)

    def _get(self, kind: str, namespace: str | None, name: str) -> dict:
        plural, _, namespaced = KINDS[kind]
        check_name(name)
        doc = self.store.get_template(kind, name)
        if doc is None or namespaced and (doc.get("metadata") or {}).get("namespace", "default") != namespace:
            raise not_found(plural, name)
        return doc

    def get(self, kind: str, namespace: str | None, name: str) -> dict:
        if namespace is not None:
            check_namespace(namespace)
        return self._get(kind, namespace, name)

    def list(self, kind: str, namespace: str | None, label_selector: str | None = None) -> dict:
        _, _, namespaced = KINDS[kind]
        if namespace:
            check_namespace(namespace)
        selector = parse_label_selector(label_selector)
        store = self.store
        items = []
        for _, name, _ in store.list_templates(kind):
            doc = store.get_template(kind, name)
            if doc is None:
                continue
            meta = doc.get("metadata") or {}
            if namespaced and namespace and meta.get("namespace", "default") != namespace:
                continue
            if selector and not labels_match(meta.get("labels") or {}, selector):
                continue
            items.append(doc)
        return {"metadata": {"resourceVersion": str(int(time.time() * 1000))}, "items": items}

    def _document(self, kind: str, namespace: str | None, body: Mapping[str, Any]) -> dict:
        """The request's document, checked: kind, names, namespace, Argo's schema and lint."""
        from .. import spec as specmod
        _, field, namespaced = KINDS[kind]
        doc = body.get(field)
        if not isinstance(doc, dict):
            raise invalid(f"{field} body not specified")
        doc = json.loads(json.dumps(doc))
        doc.setdefault("apiVersion", "argoproj.io/v1alpha1")
        doc["kind"] = kind
        meta = doc.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise invalid("metadata must be an object")
        if namespaced:
            if meta.get("namespace") not in (None, "") and meta["namespace"] != namespace:
                raise invalid("the namespace of the provided object does not match the namespace sent on the request")
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = check_name(str(meta["generateName"]) + uuid.uuid4().hex[:5], "metadata.generateName")
        check_name(meta.get("name"), "metadata.name")
        status = doc.pop("status", None)
        try:
            docs = specmod.load(doc, filename="<request>")
            errors = [e for d in docs for e in specmod.validate(d) if e.severity == "error"]
        except SpecError as exc:
            errors = exc.errors
        if errors:
            raise invalid(spec_message(SpecError(errors)))
        if kind == "CronWorkflow":
            from .. import cron
            problems = cron.validate(doc)
            if problems:
                raise invalid("; ".join(problems))
        if status is not None and kind == "CronWorkflow":
            doc["status"] = status
        return doc

    def create(self, kind: str, namespace: str | None, body: Mapping[str, Any]) -> dict:
        plural = KINDS[kind][0]
        if namespace is not None:
            check_namespace(namespace)
        doc = self._document(kind, namespace, body)
        name = doc["metadata"]["name"]
        store = self.store
        if store.get_template(kind, name) is not None:
            raise already_exists(plural, name)
        if (body.get("createOptions") or {}).get("dryRun"):
            return doc
        if kind == "CronWorkflow":
            from .. import cron
            try:
                cron.create(doc, store)
            except JupyterFlowError as exc:
                raise invalid(str(exc)) from None
            return store.get_template(kind, name)
        doc["metadata"].update(uid=str(uuid.uuid4()), creationTimestamp=_now())
        store.put_template(kind, name, doc)
        return doc

    def lint(self, kind: str, namespace: str | None, body: Mapping[str, Any]) -> dict:
        if namespace is not None:
            check_namespace(namespace)
        return self._document(kind, namespace, body)

    def update(self, kind: str, namespace: str | None, name: str, body: Mapping[str, Any]) -> dict:
        if namespace is not None:
            check_namespace(namespace)
        old = self._get(kind, namespace, name)
        doc = self._document(kind, namespace, body)
        if doc["metadata"]["name"] != name:
            raise invalid(f"metadata.name {doc['metadata']['name']!r} does not match {name!r} in the path")
        store = self.store
        if kind == "CronWorkflow":
            from .. import cron
            try:
                cron.update(doc, store)
            except JupyterFlowError as exc:
                raise invalid(str(exc)) from None
            return store.get_template(kind, name)
        old_meta = old.get("metadata") or {}
        doc["metadata"].update(uid=old_meta.get("uid") or str(uuid.uuid4()),
                               creationTimestamp=old_meta.get("creationTimestamp") or _now())
        store.update_template(kind, name, doc)
        return doc

    def delete(self, kind: str, namespace: str | None, name: str) -> dict:
        if namespace is not None:
            check_namespace(namespace)
        self._get(kind, namespace, name)
        self.store.delete_template(kind, name)
        return {}

    def cron_suspend(self, namespace: str, name: str, suspend: bool) -> dict:
        from .. import cron
        check_namespace(namespace)
        self._get("CronWorkflow", namespace, name)
        cron.set_suspend(name, self.store, suspend)
        return self.store.get_template("CronWorkflow", name)
