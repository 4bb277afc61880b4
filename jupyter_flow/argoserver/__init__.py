"""The Argo Server REST API over jupyter-flow's engine and store.

Unchanged Argo clients (Hera's ``WorkflowsService``, the ``argo-workflows`` SDK, the ``argo``
CLI with ``ARGO_SERVER``) talk to ``jupyter-flow server`` (:mod:`.app`, standalone, bearer
token) or to the Jupyter server extension's mount at ``<base_url>jupyter-flow/argo/``.

``routes`` maps Argo's paths (``api/openapi-spec/swagger.json`` of argoproj/argo-workflows)
onto :class:`.workflows.WorkflowOps`, :class:`.templates.TemplateOps` and :mod:`.streams`;
``handlers`` are thin tornado handlers over it. Nothing heavy is imported here.
"""
from __future__ import annotations

DEFAULT_PORT = 2746          # Argo Server's port
DEFAULT_HOST = "127.0.0.1"
MOUNT = "jupyter-flow/argo"  # under the Jupyter server's base URL
