"""What one run may cost the engine: nodes created and loop items expanded.

A nested ``withSequence`` of 100k × 100k (inner steps skipped by ``when``) or a template that
calls itself twice per level grows without end: Argo's controller would stop at etcd's size limit,
an engine in a notebook at swap. Each run counts the nodes it creates and the items its loops
expand; past a budget the run is terminated and ends in ``Error`` with a message naming the
template and the limit and how to raise it (as a controller error does in Argo). The defaults
let a 100,000-node run through. One loop's size (``JUPYTER_FLOW_MAX_LOOP_ITEMS``) is ``loops.py``'s,
one string's (``JUPYTER_FLOW_MAX_STRING_BYTES``) ``expr.limits``'s, recursion depth (100) Argo's.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import config
from ..errors import JupyterFlowError

if TYPE_CHECKING:
    from .controller import Controller

MAX_NODES = 200_000
MAX_LOOP_ITEMS_TOTAL = 250_000


class BudgetExceeded(JupyterFlowError):
    """A run went over one of its budgets (the run is being terminated)."""


class RunBudget:
    __slots__ = ("max_nodes", "max_items", "nodes", "items", "exceeded")

    def __init__(self) -> None:
        self.max_nodes = config.limit("maxNodes", "JUPYTER_FLOW_MAX_NODES", MAX_NODES)
        self.max_items = config.limit("maxLoopItemsTotal", "JUPYTER_FLOW_MAX_LOOP_ITEMS_TOTAL", MAX_LOOP_ITEMS_TOTAL)
        self.nodes = 0
        self.items = 0
        self.exceeded: str | None = None   # the first budget message: the run's final message

    def node(self, ctl: "Controller", name: str, template: str) -> None:
        """Count one new node; past the budget, end the run and refuse the node: the branch that
        wanted it unwinds (every other one does at its next node) instead of growing further."""
        self.nodes += 1
        if self.nodes > self.max_nodes:
            self._over(ctl, f"the run created more than {self.max_nodes} nodes (the budget per run), at node "
                       f"'{name}' of template '{template}'; set JUPYTER_FLOW_MAX_NODES or limits.maxNodes "
                       "in config.yaml to raise it")
            raise BudgetExceeded(self.exceeded or "")

    def loop(self, ctl: "Controller", n: int, step: str, template: str) -> None:
        """Count the ``n`` items a loop is about to expand; past the budget, refuse and end the run."""
        self.items += n
        if self.items > self.max_items:
            message = (f"the run's loops expanded more than {self.max_items} items in all (the budget per "
                       f"run), at step '{step}' of template '{template}' ({n} items); set "
                       "JUPYTER_FLOW_MAX_LOOP_ITEMS_TOTAL or limits.maxLoopItemsTotal in config.yaml to raise it")
            self._over(ctl, message)
            raise BudgetExceeded(message)

    def _over(self, ctl: "Controller", message: str) -> None:
        if self.exceeded is None:
            self.exceeded = message
            ctl.stop("Terminate", message)
