"""One row of the ``runs`` table as a Python value (``RunRecord``), and that run in Argo's shape."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RunRecord:
    """One row of ``runs``: enough to list runs without loading their nodes."""

    name: str
    namespace: str
    uid: str
    phase: str
    message: str
    created_at: float
    started_at: float | None
    finished_at: float | None
    workflow: dict
    status: dict
    owner_pid: int | None
    backend: str = "local"
    nodes: dict[str, dict] = field(default_factory=dict)
    updated_at: float = 0.0

    def to_dict(self, nodes: dict[str, dict] | None = None) -> dict:
        """The Workflow with ``status`` in Argo's shape; ``status.nodes`` only if ``nodes`` is given
        (a list of runs reads no node)."""
        wf = dict(self.workflow)
        status = dict(self.status)
        status["phase"] = self.phase
        if self.message:
            status["message"] = self.message
        if nodes is not None:
            status["nodes"] = nodes
        wf["status"] = status
        return wf
