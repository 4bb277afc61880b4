"""``GET <base_url>jupyter-flow/metrics``: the runs' custom metrics in Prometheus' text format.

A thin handler over :func:`jupyter_flow.store.metrics.exposition` (Argo's aggregation: last gauge
value per label set, counters summed, histogram buckets; names prefixed ``argo_workflows_``), so
a real Prometheus can scrape it. Behind Jupyter's auth like every other route: a scrape config
sends the server's token (``authorization: {type: Bearer, credentials: <token>}``, which
jupyter_server accepts as ``Authorization: bearer <token>``); without it the answer is 403.
"""
from __future__ import annotations

import asyncio

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class MetricsHandler(APIHandler):
    @web.authenticated
    async def get(self) -> None:
        from ..store.metrics import exposition
        store = self.settings["jupyter_flow_manager"].store
        text = await asyncio.get_running_loop().run_in_executor(None, exposition, store)
        self.set_header("Cache-Control", "no-store")
        self.finish(text, set_content_type=CONTENT_TYPE)


def metrics_routes(base_url: str = "/") -> list[tuple[str, type]]:
    return [(url_path_join(base_url, "jupyter-flow", "metrics") + "/?", MetricsHandler)]
