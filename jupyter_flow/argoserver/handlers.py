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
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from tornado import web
from tornado.iostream import StreamClosedError

from .errors import INVALID_ARGUMENT, PERMISSION_DENIED, UNAUTHENTICATED, ArgoError
from .routes import Operations, dispatch
from .shape import encode

POLL = 0.25            # seconds between polls of a stream
# Its own threads: a create waits (up to ACCEPT_SECONDS) for the run's engine, and must not hold the
# threads the Jupyter server shares with everything else.
POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="jupyter-flow-argo")
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

    def refused(self, method: str) -> ArgoError | None:
        """Why the request may not be answered at all, before any work: no credentials."""
        if not self.authorized():
            return ArgoError(UNAUTHENTICATED, "token not valid. see https://argo-workflows.readthedocs.io/"
                                              "en/latest/faq/")
        return None

    async def _handle(self, method: str, path: str) -> None:
        refusal = self.refused(method)
        if refusal is not None:
            self._error(refusal)
            return
        query = {k: self.get_query_argument(k) for k in self.request.query_arguments}
        loop = asyncio.get_running_loop()
        try:
            answer = await loop.run_in_executor(POOL, partial(dispatch, self.operations(), method, path, query,
                                                              self.request.body))
        except ArgoError as exc:
            self._error(exc)
            return
        if isinstance(answer, dict):
            text = await loop.run_in_executor(POOL, encode, answer)
            self.set_header("Content-Type", "application/json")
            self.finish(text)
            return
        await self._stream(answer)

    async def _stream(self, stream) -> None:
        # Argo answers Server-Sent Events to ``Accept: text/event-stream`` (the argo CLI, the UI):
        # ``data: {"result": ...}`` per message; else grpc-gateway's JSON lines (Hera, the SDK)
        sse = "text/event-stream" in self.request.headers.get("Accept", "")
        head, tail, keepalive = ("data: ", "\n\n", ":\n\n") if sse else ("", "\n", "\n")
        self.set_header("Content-Type", "text/event-stream" if sse else "application/json")
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Accel-Buffering", "no")
        loop = asyncio.get_running_loop()
        idle = 0.0
        try:
            self.flush()   # headers now: a client sees the stream open before the first message
            while True:
                try:
                    messages = await loop.run_in_executor(POOL, _poll, stream)
                except ArgoError as exc:
                    messages = [json.dumps({"error": {"grpc_code": exc.code, "http_code": exc.status,
                                                      "message": exc.message, "details": []}})]
                    stream.done = True
                for message in messages:
                    self.write(head + message + tail)
                if messages:
                    idle = 0.0
                elif idle >= KEEPALIVE:
                    self.write(keepalive)
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

    def refused(self, method: str) -> ArgoError | None:
        """Without a token (``--auth-mode none``) a web page could reach the server from the user's
        browser, so: only requests addressed to a loopback name (a page whose domain was re-pointed
        at 127.0.0.1, DNS rebinding, sends its own Host), and bodies only as ``application/json``
        (a page sends ``text/plain`` cross-origin without asking; JSON makes the browser ask first,
        and no other origin is ever allowed). With a token neither can happen: a browser never adds
        the ``Authorization`` header by itself."""
        if self.settings.get("jupyter_flow_argo_token") is None:
            if not _loopback_host(self.request.host):
                return ArgoError(PERMISSION_DENIED, f"Host {self.request.host[:80]!r} is not a loopback address; "
                                                    "without a token only 127.0.0.1, [::1] or localhost are answered")
            ctype = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if method in ("POST", "PUT", "PATCH") and self.request.body and ctype != "application/json":
                return ArgoError(INVALID_ARGUMENT, f"Content-Type must be application/json, not {ctype[:60]!r}",
                                 status=415)
        return super().refused(method)

    def set_default_headers(self) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "no-store")

    def write_error(self, status_code: int, **kwargs) -> None:
        """tornado's own refusals (a body over the size limit, a bad request line) in Argo's shape."""
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"code": 3 if status_code < 500 else 13, "message": self._reason,
                                "error": self._reason, "details": []}))


def _loopback_host(host: str) -> bool:
    """Whether a Host header names this machine's loopback (with or without a port)."""
    import ipaddress
    name = host.strip().lower()
    if name.startswith("["):
        name = name[1:].split("]", 1)[0]
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    if name in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class NotFoundHandler(ArgoHandler):
    """Everything outside ``/api/v1/``: Argo's NotFound shape (after the same auth check)."""

    async def _handle(self, method: str, path: str) -> None:
        self._error(self.refused(method) or ArgoError(5, "Not Found"))


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
