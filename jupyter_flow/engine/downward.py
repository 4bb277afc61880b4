"""The Kubernetes downward API for a step's environment off-cluster (``env[].valueFrom``
``fieldRef`` / ``resourceFieldRef``).

Third-party workflows routinely set ``POD_NAME`` from ``metadata.name``, ``POD_NAMESPACE``,
``NODE_NAME`` or a memory limit this way. Every field the kubelet exposes to env has a local
answer that is the same fact Argo's Pod would report (its name, namespace, labels, annotations,
service account, this machine as node, loopback as IP, the container's own resources, or this
machine's capacity for an unset limit, as the kubelet uses node allocatable), so the step runs
instead of erroring. ``metadata.uid`` has no local counterpart and stays an error.
"""
from __future__ import annotations

import math
import os
import re
from typing import Any

#: fieldRef paths the kubelet accepts in env, besides metadata.labels['k'] / annotations['k'].
NODE_NAME = "localhost"
LOOPBACK = "127.0.0.1"
_KEYED = re.compile(r"metadata\.(labels|annotations)\['([^']*)'\]\Z")


def pod_fields(ctl: Any, node: Any, tmpl: dict) -> dict[str, Any]:
    """What the step's Pod would carry: name, namespace, labels, annotations, service account
    (as pods.py builds them for the kubernetes backend)."""
    wf = ctl.workflow
    wspec = wf.get("spec") or {}
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    for meta in (wspec.get("podMetadata"), tmpl.get("metadata")):
        labels.update({k: str(v) for k, v in ((meta or {}).get("labels") or {}).items()})
        annotations.update({k: str(v) for k, v in ((meta or {}).get("annotations") or {}).items()})
    labels["workflows.argoproj.io/workflow"] = ctl.name
    annotations["workflows.argoproj.io/node-name"] = node.name
    annotations["workflows.argoproj.io/node-id"] = node.id
    return {"metadata.name": ctl.pod_name(node),
            "metadata.namespace": (wf.get("metadata") or {}).get("namespace") or "default",
            "spec.serviceAccountName": tmpl.get("serviceAccountName") or wspec.get("serviceAccountName") or "default",
            "spec.nodeName": NODE_NAME,
            "status.podIP": LOOPBACK, "status.podIPs": LOOPBACK,
            "status.hostIP": LOOPBACK, "status.hostIPs": LOOPBACK,
            "labels": labels, "annotations": annotations}


def field_value(pod: dict[str, Any], path: str) -> str | None:
    """``fieldRef.fieldPath`` of ``pod``; None if the kubelet has no such field or it has no
    local value (``metadata.uid``). A label or annotation the Pod lacks is "" as on a cluster."""
    m = _KEYED.match(path)
    if m:
        return pod[m.group(1)].get(m.group(2), "")
    value = pod.get(path)
    return value if isinstance(value, str) else None


def _quantity(value: Any) -> float:
    from ..executors.container import quantity
    return quantity(value)


def _capacity(resource: str) -> float | None:
    if resource == "cpu":
        return float(os.cpu_count() or 1)
    if resource == "memory":
        try:
            with open("/proc/meminfo") as f:
                for line in f:
                    if line.startswith("MemTotal:"):
                        return float(line.split()[1]) * 1024
        except OSError:
            return None
    return None


def resource_value(container: dict, ref: dict) -> str | None:
    """``resourceFieldRef`` of ``container``: ceil(quantity / divisor) as the kubelet formats it;
    an unset limit is this machine's capacity (node allocatable), an unset request the limit's
    value (API defaulting) or 0. None for a resource with no local answer."""
    kind, _, resource = str(ref.get("resource", "")).partition(".")
    if kind not in ("limits", "requests") or resource not in ("cpu", "memory", "ephemeral-storage"):
        return None
    res = container.get("resources") or {}
    limits, requests = res.get("limits") or {}, res.get("requests") or {}
    try:
        if kind == "limits":
            value = _quantity(limits[resource]) if resource in limits else _capacity(resource)
        else:
            value = (_quantity(requests[resource]) if resource in requests
                     else _quantity(limits[resource]) if resource in limits else 0.0)
        divisor = _quantity(ref.get("divisor") or "1")
    except ValueError:
        return None
    if value is None or divisor <= 0:
        return None
    return str(math.ceil(value / divisor - 1e-9))
