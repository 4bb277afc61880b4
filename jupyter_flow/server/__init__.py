"""The jupyter_server extension: a REST API over the run store for the JupyterLab panel.

Enabled on install by ``etc/jupyter/jupyter_server_config.d/jupyter_flow.json``; by hand with
``jupyter server extension enable jupyter_flow.server``.
"""
from __future__ import annotations

from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Unicode


class JupyterFlowApp(ExtensionApp):
    """Serves ``<base_url>jupyter-flow/api/`` (see :mod:`jupyter_flow.server.handlers`)."""

    name = "jupyter_flow"
    extension_url = "/lab"
    load_other_extensions = True

    home = Unicode(
        "", config=True,
        help="jupyter-flow state directory (default: $JUPYTER_FLOW_HOME or ~/.jupyter-flow)",
    )

    schedule_crons = Bool(
        True, config=True,
        help="run the CronWorkflows of the home (`jupyter-flow cron create`) while the server is up, "
             "as Argo's controller does; off: only `jupyter-flow cron run` schedules them",
    )

    _cron_stop = None
    _retention_stop = None

    def initialize_settings(self) -> None:
        from ..store.retention import start_thread
        from .manager import FlowManager
        manager = FlowManager(self.home or None)
        self.settings["jupyter_flow_manager"] = manager
        if self.schedule_crons:
            from ..cron import Scheduler
            self._cron_stop = Scheduler(manager.store).start_thread()
        # ttlStrategy, podGC and keep (config.yaml), swept every minute as Argo's controller does
        self._retention_stop = start_thread(manager.store)

    async def stop_extension(self) -> None:
        if self._cron_stop is not None:
            self._cron_stop.set()
        if self._retention_stop is not None:
            self._retention_stop.set()

    def initialize_handlers(self) -> None:
        from ..argoserver.handlers import jupyter_routes
        from .handlers import routes
        from .metrics import metrics_routes
        # ExtensionApp prefixes base_url itself only for handlers it wraps; ours are absolute.
        # jupyter_routes: Argo Server's API under jupyter-flow/argo/ (Argo clients, Jupyter's auth)
        self.serverapp.web_app.add_handlers(".*$", routes(self.serverapp.base_url)
                                            + jupyter_routes(self.serverapp.base_url)
                                            + metrics_routes(self.serverapp.base_url))


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": "jupyter_flow.server", "app": JupyterFlowApp}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "../labextension", "dest": "jupyter-flow"}]
