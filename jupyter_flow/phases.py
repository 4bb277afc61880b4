"""Argo's phases, in one place: what a node or a workflow can be, and which phases are final.

At the bottom of the layering (it imports nothing from the package), so the engine, the store,
the API and every surface ask "is this run over?" with the same set instead of their own copy.
Names follow Argo's ``NodePhase`` / ``WorkflowPhase`` (pkg/apis/workflow/v1alpha1).
"""
from __future__ import annotations

PENDING, RUNNING, SUCCEEDED, FAILED, ERROR, SKIPPED, OMITTED = (
    "Pending", "Running", "Succeeded", "Failed", "Error", "Skipped", "Omitted")

NODE_PHASES = (PENDING, RUNNING, SUCCEEDED, FAILED, ERROR, SKIPPED, OMITTED)
"""Every ``NodePhase``, in Argo's order."""
WORKFLOW_PHASES = (PENDING, RUNNING, SUCCEEDED, FAILED, ERROR)
"""Every ``WorkflowPhase`` (a workflow is never Skipped or Omitted)."""

FINISHED = frozenset({SUCCEEDED, FAILED, ERROR})
"""A workflow (or a pod node) in one of these will not change: Argo's ``WorkflowPhase.Completed()``."""
FULFILLED = frozenset({SUCCEEDED, FAILED, ERROR, SKIPPED, OMITTED})
"""A node in one of these is done, run or not: Argo's ``NodePhase.Fulfilled()``."""
FAILED_OR_ERROR = frozenset({FAILED, ERROR})
"""The phases ``argo retry`` accepts, and that fail a parent unless ``continueOn`` says otherwise."""
LIVE = frozenset({PENDING, RUNNING})
"""Not yet finished (a workflow or a node)."""
