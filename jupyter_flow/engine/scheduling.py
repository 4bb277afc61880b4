"""Whether a step's pod could be scheduled on this machine, by the node labels it is known to have.

Locally "the cluster" is one node: this machine. Kubernetes gives every node the well-known labels
``kubernetes.io/arch`` and ``kubernetes.io/os`` (and their ``beta.`` twins), so a ``nodeSelector`` on
them that this machine does not match leaves the pod unschedulable. On Argo such a pod stays
Pending (``Unschedulable``) until a deadline ends the workflow; here no other node can ever come, so
the step errors at once with the scheduler's reason instead of hanging. Other labels are unknown
locally and are not judged (a ``node-type: gpu`` selector runs here).
"""
from __future__ import annotations

import platform
import sys

_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "armv7l": "arm",
         "armv6l": "arm", "i386": "386", "i686": "386", "ppc64le": "ppc64le", "s390x": "s390x"}
_LABELS = {"kubernetes.io/arch": "arch", "beta.kubernetes.io/arch": "arch",
           "kubernetes.io/os": "os", "beta.kubernetes.io/os": "os"}


def this_node() -> dict[str, str]:
    """This machine's values of the well-known node labels, as the kubelet would set them."""
    machine = platform.machine().lower()
    return {"arch": _ARCH.get(machine, machine), "os": "windows" if sys.platform == "win32" else
            "darwin" if sys.platform == "darwin" else "linux"}


def unschedulable(tmpl: dict, workflow_spec: dict | None) -> str | None:
    """The scheduler's reason when the step's ``nodeSelector`` (the template's, else the
    workflow's, as Argo's addSchedulingConstraints chooses) rules this machine out, else None."""
    selector = tmpl.get("nodeSelector") or (workflow_spec or {}).get("nodeSelector")
    if not isinstance(selector, dict):
        return None
    node = this_node()
    for label, value in selector.items():
        kind = _LABELS.get(label)
        if kind is not None and str(value) != node[kind]:
            return ("Unschedulable: 0/1 nodes are available: 1 node(s) didn't match Pod's node "
                    f"affinity/selector (nodeSelector {label}={value}; this machine is "
                    f"{node['os']}/{node['arch']})")
    return None
