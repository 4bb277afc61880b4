"""Thin tornado handlers over :func:`.routes.dispatch`: one catch-all per mount.

``ArgoHandler`` is the standalone server's (``jupyter-flow server``): every request needs
``Authorization: Bearer <token>`` (compared in constant time) unless the server was started
with ``--auth-mode none`` on loopback. ``JupyterArgoHandler`` is the Jupyter server extension's
mount under ``<base_url>jupyter-flow/argo/``: Jupyter's own auth (token or login cookie, XSRF
for browsers) decides. Unary answers are JSON; streams are grpc-gateway's newline-delimited JSON
(``{"result": ...}`` per line), polled on a worker thread.
"""
from __future__ import annotations

import asyncio
import hmac
import json
from functools import partial

from tornado import web
from tornado.iostream import StreamClosedError

from .errors import UNAUTHENTICATED, ArgoError
from .routes import Operations, dispatch
from .shape import encode

POLL = 0.25            # seconds between polls of a stream
KEEPALIVE = 15.0       # seconds of silence before a stream sends a blank line


def _poll(stream) -> list[str]:
    return [encode(m) for m in stream.poll()]


class ArgoMixin:
    """The request handling both mounts share; subclasses say who may call."""

    def operations(self) -> Operations:
        return self.settings["jupyter_flow_argo_ops"]

    def authorized(self) -> bool:   # pragma: no cover - overridden
        return False

    def _error(self, exc: ArgoError) -> None:
        self.set_status(exc.status)
        self.set_header("Content-Type", "application/json")
        self.finish(exc.body())

    async def _handle(self, method: str, path: str) -> None:
        if not self.authorized():
            self._error(ArgoError(UNAUTHENTICATED, "token not valid. see https://argo-workflows.readthedocs.io/"
                                                   "en/latest/faq/"))
            return
        query = {k: self.get_query_argument(k) for k in self.request.query_arguments}
        loop = asyncio.get_running_loop()
        try:
            answer = await loop.run_in_executor(None, partial(dispatch, self.operations(), method, path, query,
                                                              self.request.body))
        except ArgoError as exc:
            self._error(exc)
            return
        if isinstance(answer, dict):
            text = await loop.run_in_executor(None, encode, answer)
            self.set_header("Content-Type", "application/json")
            self.finish(text)
            return
        await self._stream(answer)

    async def _stream(self, stream) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Accel-Buffering", "no")
        loop = asyncio.get_running_loop()
        idle = 0.0
        try:
            self.flush()   # headers now: a client sees the stream open before the first message
            while True:
                try:
                    messages = await loop.run_in_executor(None, _poll, stream)
                except ArgoError as exc:
                    messages = [json.dumps({"error": {"grpc_code": exc.code, "http_code": exc.status,
                                                      "message": exc.message, "details": []}})]
                    stream.done = True
                for message in messages:
                    self.write(message + "\n")
                if messages:
                    idle = 0.0
                elif idle >= KEEPALIVE:
                    self.write("\n")
                    idle = 0.0
                await self.flush()
                if stream.done:
                    break
                await asyncio.sleep(POLL)
                idle += POLL
            self.finish()
        except StreamClosedError:
            return

    async def get(self, path: str) -> None:
        await self._handle("GET", path)

    async def post(self, path: str) -> None:
        await self._handle("POST", path)

    async def put(self, path: str) -> None:
        await self._handle("PUT", path)

    async def delete(self, path: str) -> None:
        await self._handle("DELETE", path)

    async def patch(self, path: str) -> None:   # no Argo route: answered in Argo's shape, as the others
        await self._handle("PATCH", path)


class ArgoHandler(ArgoMixin, web.RequestHandler):
    """The standalone server's handler: a bearer token, or nothing on a loopback ``--auth-mode none``."""

    def authorized(self) -> bool:
        token = self.settings.get("jupyter_flow_argo_token")
        if token is None:
            return self.settings.get("jupyter_flow_argo_auth") == "none"
        header = self.request.headers.get("Authorization", "")
        scheme, _, given = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not given:
            return False
        return hmac.compare_digest(given.strip().encode("utf-8", "replace"), token.encode())

    def set_default_headers(self) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "no-store")

    def write_error(self, status_code: int, **kwargs) -> None:
        """tornado's own refusals (a body over the size limit, a bad request line) in Argo's shape."""
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"code": 3 if status_code < 500 else 13, "message": self._reason,
                                "error": self._reason, "details": []}))


class NotFoundHandler(ArgoHandler):
    """Everything outside ``/api/v1/``: Argo's NotFound shape (after the same auth check)."""

    async def _handle(self, method: str, path: str) -> None:
        if not self.authorized():
            self._error(ArgoError(UNAUTHENTICATED, "token not valid"))
            return
        self._error(ArgoError(5, "Not Found"))


def jupyter_handler():
    """The handler class for the Jupyter server extension (imports jupyter_server only when asked)."""
    from jupyter_server.base.handlers import APIHandler

    class JupyterArgoHandler(ArgoMixin, APIHandler):
        def authorized(self) -> bool:
            return bool(self.current_user)

        def operations(self) -> Operations:
            ops = self.settings.get("jupyter_flow_argo_ops")
            if ops is None:
                manager = self.settings.get("jupyter_flow_manager")
                ops = self.settings["jupyter_flow_argo_ops"] = Operations(getattr(manager, "_home", None))
            return ops

    return JupyterArgoHandler


def jupyter_routes(base_url: str = "/") -> list[tuple[str, type]]:
    """The Argo routes under ``<base_url>jupyter-flow/argo/api/v1/`` for the server extension."""
    from jupyter_server.utils import url_path_join
    from . import MOUNT
    return [(url_path_join(base_url, MOUNT, "api/v1") + r"/(.*)", jupyter_handler())]
