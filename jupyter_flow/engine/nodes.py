"""Nodes of a run, in Argo's vocabulary: the shape of ``status.nodes[id]``.

Node ids follow Argo (``<workflow>-<fnv32a(node name)>``, the root node's id is the workflow
name) so that ids seen locally match what the same workflow gets on a cluster.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# The phases and timestamps are the package's (``jupyter_flow.phases`` / ``.timestamps``); the
# engine keeps importing them from here. COMPLETED is ``phases.FINISHED`` under the engine's name.
from ..phases import (ERROR, FAILED, FAILED_OR_ERROR, FINISHED as COMPLETED, FULFILLED,  # noqa: F401
                      OMITTED, PENDING, RUNNING, SKIPPED, SUCCEEDED)
from ..timestamps import iso, parse_iso  # noqa: F401

POD, STEPS, STEP_GROUP, DAG, TASK_GROUP, RETRY, SKIPPED_TYPE, SUSPEND = (
    "Pod", "Steps", "StepGroup", "DAG", "TaskGroup", "Retry", "Skipped", "Suspend")


def fnv32a(text: str) -> int:
    h = 0x811C9DC5
    for byte in text.encode():
        h ^= byte
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def node_id(workflow_name: str, node_name: str) -> str:
    """Argo's NodeID: the root keeps the workflow name, others hash their full node name."""
    if node_name == workflow_name:
        return workflow_name
    return f"{workflow_name}-{fnv32a(node_name)}"


POD_NAME_FORMAT = "workflows.argoproj.io/pod-name-format"   # the annotation choosing v1 pod names
_MAX_POD_PREFIX = 253 - 10 - 1   # maxK8sResourceNameLength - k8sNamingHashLength - 1


def pod_name_version(workflow: dict) -> str:
    """``v1`` when the workflow's annotation asks for it, else Argo's default ``v2``."""
    annotations = (workflow.get("metadata") or {}).get("annotations") or {}
    return "v1" if str(annotations.get(POD_NAME_FORMAT) or "") == "v1" else "v2"


def pod_name(workflow_name: str, node_name: str, template: str, node_id: str, version: str = "v2") -> str:
    """Argo's util.GeneratePodName: what ``{{pod.name}}`` and ``workflow.failures``' podName say.

    v2 (the default): ``<workflow>-<template>-<fnv32a(node name)>`` (without the template for
    inline templates); v1: the node id. The hash is the node id's, so it is not computed twice.
    """
    if version == "v1":
        return node_id
    if node_name == workflow_name:
        return workflow_name
    prefix = workflow_name if ".inline" in node_name or not template else f"{workflow_name}-{template}"
    head = workflow_name + "-"
    digest = node_id[len(head):] if node_id.startswith(head) else str(fnv32a(node_name))
    return f"{prefix[:_MAX_POD_PREFIX]}-{digest}"


@dataclass(slots=True)
class Node:
    """One node of the run's tree; ``to_dict`` gives Argo's ``NodeStatus`` JSON."""

    id: str
    name: str
    display_name: str
    type: str
    template_name: str = ""
    boundary_id: str = ""
    phase: str = PENDING
    message: str = ""
    children: list[str] = field(default_factory=list)
    outbound: list[str] = field(default_factory=list)
    inputs: dict | None = None
    outputs: dict | None = None
    started_at: float | None = None
    finished_at: float | None = None
    template_ref: dict | None = None
    host_node_name: str = ""
    memoization: dict | None = None
    extra: dict | None = None   # e.g. {"exitHandler": ...} bookkeeping not in Argo's shape
    daemoned: bool = False   # a daemon step that is ready and running (engine/daemons.py)
    pod_ip: str = ""
    progress: str = ""   # self-reported N/M ($ARGO_PROGRESS_FILE, executors/progress.py)

    @property
    def fulfilled(self) -> bool:
        return self.phase in FULFILLED

    @property
    def completed(self) -> bool:
        return self.phase in COMPLETED

    def to_dict(self) -> dict:
        d: dict = {
            "id": self.id,
            "name": self.name,
            "displayName": self.display_name,
            "type": self.type,
            "phase": self.phase,
            "boundaryID": self.boundary_id,
        }
        if self.template_name:
            d["templateName"] = self.template_name
        if self.template_ref:
            d["templateRef"] = self.template_ref
        if self.message:
            d["message"] = self.message
        if self.started_at is not None:
            d["startedAt"] = iso(self.started_at)
        d["finishedAt"] = iso(self.finished_at)
        if self.children:
            d["children"] = list(self.children)
        if self.outbound:
            d["outboundNodes"] = list(self.outbound)
        if self.inputs:
            d["inputs"] = self.inputs
        if self.outputs:
            d["outputs"] = self.outputs
        if self.type == POD and self.host_node_name:
            d["hostNodeName"] = self.host_node_name
        if self.memoization:
            d["memoizationStatus"] = self.memoization
        if self.daemoned:
            d["daemoned"] = True
        if self.pod_ip:
            d["podIP"] = self.pod_ip
        if self.started_at is not None:
            end = self.finished_at
            if end is not None:
                d["estimatedDuration"] = int(round(end - self.started_at))
        if self.type == POD and self.progress:
            # Argo: a succeeded pod's reported progress is complete (M/M); otherwise as reported
            total = self.progress.partition("/")[2]
            d["progress"] = f"{total}/{total}" if self.phase == SUCCEEDED else self.progress
        elif self.type == POD and self.phase in COMPLETED:
            d["progress"] = "1/1"
        elif self.type == POD:
            d["progress"] = "0/1"
        return d
