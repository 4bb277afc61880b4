"""Pieces of the Kubernetes API server TEST DOUBLE (``fakekube.py``): patches and discovery documents.

Merge patch is RFC 7386; JSON patch is RFC 6902's add/replace/remove/test; the discovery table
lists the few resource types the tests use, as ``/api/v1`` and ``/apis/<group>/<version>`` do.
"""
from __future__ import annotations

import copy


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    target = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        else:
            target[k] = merge_patch(target.get(k), v)
    return target


def json_patch(target, ops):
    """RFC 6902 add / replace / remove / test on dicts and lists (what ``mergeStrategy: json`` sends)."""
    doc = copy.deepcopy(target)
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent = doc
        for p in parts[:-1]:
            parent = parent[int(p)] if isinstance(parent, list) else parent[p]
        last = parts[-1]
        if op["op"] == "test":
            cur = parent[int(last)] if isinstance(parent, list) else parent.get(last)
            if cur != op["value"]:
                raise ValueError(f"test failed at {op['path']}")
        elif op["op"] in ("add", "replace"):
            if isinstance(parent, list):
                idx = len(parent) if last == "-" else int(last)
                parent.insert(idx, op["value"]) if op["op"] == "add" else parent.__setitem__(idx, op["value"])
            else:
                if op["op"] == "replace" and last not in parent:
                    raise KeyError(op["path"])
                parent[last] = op["value"]
        elif op["op"] == "remove":
            del parent[int(last) if isinstance(parent, list) else last]
        else:
            raise ValueError(f"unsupported op {op['op']!r}")
    return doc


# group/version -> [(plural, kind, namespaced)]: what the discovery documents list
RESOURCES = {
    "v1": [("pods", "Pod", True), ("configmaps", "ConfigMap", True), ("secrets", "Secret", True),
           ("services", "Service", True), ("persistentvolumeclaims", "PersistentVolumeClaim", True),
           ("namespaces", "Namespace", False)],
    "batch/v1": [("jobs", "Job", True), ("cronjobs", "CronJob", True)],
    "apps/v1": [("deployments", "Deployment", True)],
    "argoproj.io/v1alpha1": [("workflows", "Workflow", True), ("workflowtemplates", "WorkflowTemplate", True)],
}


def discovery(gv):
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": [
        {"name": plural, "singularName": kind.lower(), "namespaced": namespaced, "kind": kind,
         "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}
        for plural, kind, namespaced in RESOURCES[gv]]}
