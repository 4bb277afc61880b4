"""The WorkflowTemplate / ClusterWorkflowTemplate registry (``templates`` table; CronWorkflows are
kept there too) and the lookup a ``Controller`` resolves templateRefs with.

A mixin of ``db.Store``: it uses the store's ``_read`` and ``_write``."""
from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .db import Store


class TemplateRegistry:
    """``Store``'s stored templates (the ``templates`` table)."""

    # -- templates (WorkflowTemplate / ClusterWorkflowTemplate registry) -----------------------
    def put_template(self, kind: str, name: str, data: dict) -> None:
        self._write(lambda c: c.execute("INSERT OR REPLACE INTO templates(kind, name, data, created_at)"
                                        " VALUES (?,?,?,?)", (kind, name, json.dumps(data), time.time())))

    def update_template(self, kind: str, name: str, data: dict) -> bool:
        """Replace a kept document (a CronWorkflow's status, its ``suspend``), keeping its creation time."""
        return bool(self._write(lambda c: c.execute("UPDATE templates SET data=? WHERE kind=? AND name=?",
                                                    (json.dumps(data), kind, name)).rowcount))

    def get_template(self, kind: str, name: str) -> dict | None:
        rows = self._read("SELECT data FROM templates WHERE kind=? AND name=?", (kind, name))
        return json.loads(rows[0][0]) if rows else None

    def list_templates(self, kind: str | None = None) -> list[tuple[str, str, float]]:
        if kind:
            return self._read("SELECT kind, name, created_at FROM templates WHERE kind=? ORDER BY name", (kind,))
        return self._read("SELECT kind, name, created_at FROM templates ORDER BY kind, name")

    def delete_template(self, kind: str, name: str) -> bool:
        return bool(self._write(lambda c: c.execute("DELETE FROM templates WHERE kind=? AND name=?",
                                                    (kind, name)).rowcount))


def registry_for(store: "Store"):
    """templateRef / workflowTemplateRef lookups against ``store``'s template registry (what a
    ``Controller`` is given as ``registry``)."""
    def lookup(name: str, cluster_scope: bool):
        kind = "ClusterWorkflowTemplate" if cluster_scope else "WorkflowTemplate"
        return store.get_template(kind, name)
    return lookup
