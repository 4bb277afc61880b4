"""Thin tornado handlers over :class:`FlowManager`; every route needs Jupyter's auth.

Routes (under ``<base_url>jupyter-flow/api/``)::

    GET    runs[?phase=P[,P]&label=SEL&prefix=N&since=T&until=T&offset=N&limit=L]
                                               {"runs": summaries newest first, "total", "offset", "limit",
                                               "counts": {phase: runs}} (L <= 1000; no run's nodes are read)
    POST   runs                                submit {"yaml", "parameters"?, "filename"?, "name"?, "wait"?}
    GET    runs/NAME                           the run as an Argo Workflow (status.nodes)
    DELETE runs/NAME                           delete it
    POST   runs/NAME/ACTION                    resume | suspend | stop | terminate | retry | resubmit | delete
    GET    runs/NAME/nodes/NODE/log[?offset=N&length=L | ?tail=L]
                                               {"text", "start", "offset", "size", "finished"} (L <= 1 MiB)
    GET    runs/NAME/nodes/NODE/log?follow=1[&offset=N | &tail=L]
                                               the same as Server-Sent Events (``log`` {text, start, offset},
                                               ``end``, or ``budget`` after 4 MiB), until the node finishes
    GET    runs/NAME/graph[?open=GROUP&find=TEXT&reveal=ID&node=ID]
                                               {"wf" (no nodes but ID's), "graph", "style", "found"}: the
                                               run's grouped picture (``server/picture.py``)
    GET    runs/NAME/nodes/NODE/debug          {"code", "node"}: a cell reproducing the step (jupyter_flow.debug)
    GET    runs/NAME/artifacts/KEY             a stored artifact (file bytes, or a JSON listing of a directory)
    GET    compare?runs=A,B[,...]              runs side by side (``jupyter_flow.compare``: 2 to 50 runs)
    POST   lint                                {"yaml", "filename"?} -> {"errors": [...]}

``APIHandler`` checks the token or login cookie on every request (``@authenticated``) and
the XSRF token on every mutating request from a browser, so no route works anonymously.
"""
from __future__ import annotations

import asyncio
import json
import mimetypes
from functools import partial

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.iostream import StreamClosedError

from ..httpbounds import BadRequest, int_arg, json_body
from .logs import FOLLOW_BUDGET, MAX_LENGTH, follow_step
from .manager import ACTIONS, FlowManager, ManagerError

API = "jupyter-flow/api"
_NAME = r"(?P<name>[^/]+)"
MAX_PAGE = 1000  # summaries in one answer; without limit every match is listed
_SAFE_TYPES = {"text/plain", "text/csv", "application/json", "image/png", "image/jpeg", "image/gif"}


class BaseHandler(APIHandler):
    @property
    def manager(self) -> FlowManager:
        return self.settings["jupyter_flow_manager"]

    async def call(self, fn, *args, **kwargs):
        """Run a (blocking, SQLite-reading) manager call on a worker thread."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, partial(fn, *args, **kwargs))
        except ManagerError as exc:
            self.set_status(exc.status)
            self.finish(json.dumps({"message": exc.message, "errors": exc.errors}))
            raise _Answered() from None

    def body(self) -> dict:
        """The JSON object sent, within :mod:`.bounds`' size and nesting limits (else 400/413)."""
        try:
            return json_body(self.request.body)
        except BadRequest as exc:
            raise web.HTTPError(exc.status, exc.message) from None

    def int_query(self, name: str, **limits) -> int | None:
        """An integer query argument in range, else 400 saying what was expected."""
        try:
            return int_arg(self.get_query_argument(name, None), name, **limits)
        except BadRequest as exc:
            raise web.HTTPError(exc.status, exc.message) from None

    def reply(self, data, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(data))


class _Answered(Exception):
    """The manager refused and the error response is already sent."""


def _answered(method):
    async def wrapper(self, *args, **kwargs):
        try:
            return await method(self, *args, **kwargs)
        except _Answered:
            return None
    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


class RunsHandler(BaseHandler):
    @web.authenticated
    @_answered
    async def get(self):
        """A page of run summaries (never the nodes) and the total that matches the filters."""
        arg = self.get_query_argument
        self.reply(await self.call(
            self.manager.runs_page, phase=",".join(self.get_query_arguments("phase")) or None,
            label=arg("label", None), prefix=arg("prefix", None), since=arg("since", None), until=arg("until", None),
            offset=self.int_query("offset", default=0), limit=self.int_query("limit", low=1, high=MAX_PAGE)))

    @web.authenticated
    @_answered
    async def post(self):
        body = self.body()
        wf = await self.call(
            self.manager.submit, body.get("yaml"), body.get("parameters"), filename=body.get("filename"),
            name=body.get("name"), generate_name=body.get("generateName"), entrypoint=body.get("entrypoint"),
            wait=bool(body.get("wait")), timeout=60 if body.get("wait") else None)
        self.reply(wf, 201)

    @web.authenticated
    @_answered
    async def delete(self):
        """``DELETE runs?name=NAME``: delete a run whose name no URL path can carry (``.``, ``..``:
        a browser resolves even ``%2E%2E`` away), which a store of an older version may hold."""
        name = self.get_query_argument("name", None)
        if not name:
            raise web.HTTPError(400, "give the run to delete as ?name=NAME")
        self.reply(await self.call(self.manager.action, name, "delete"))


class RunHandler(BaseHandler):
    @web.authenticated
    @_answered
    async def get(self, name):
        if self.get_query_argument("summary", "") in ("1", "true"):   # the list's row: no node is read
            self.reply(await self.call(self.manager.run_summary, name))
            return
        self.reply(await self.call(self.manager.get_run, name))

    @web.authenticated
    @_answered
    async def delete(self, name):
        self.reply(await self.call(self.manager.action, name, "delete"))


class GraphHandler(BaseHandler):
    @web.authenticated
    @_answered
    async def get(self, name):
        from .picture import PictureRequestError, read_run, run_picture
        wf = await self.call(read_run, self.manager, name)
        try:
            self.reply(await asyncio.get_running_loop().run_in_executor(None, partial(
                run_picture, wf, opened=self.get_query_arguments("open"), find=self.get_query_argument("find", None),
                node=self.get_query_argument("node", None), reveal=self.get_query_arguments("reveal"))))
        except PictureRequestError as exc:
            raise web.HTTPError(400, str(exc)) from None


class ActionHandler(BaseHandler):
    @web.authenticated
    @_answered
    async def post(self, name, action):
        self.reply(await self.call(self.manager.action, name, action, self.body()))


class LogHandler(BaseHandler):
    """A node's log: a range (``offset``, ``length``) or the last ``tail`` bytes as JSON, or
    followed as Server-Sent Events. Each poll reads only the bytes after the last sent; a
    request streams at most ``FOLLOW_BUDGET`` bytes, then says ``budget`` and ends (the
    client follows again from the offset it got)."""

    poll = 0.25              # seconds between reads of a followed log
    budget = FOLLOW_BUDGET   # bytes of log one follow request streams at most

    @web.authenticated
    @_answered
    async def get(self, name, node):
        offset = self.int_query("offset", default=0)
        length = self.int_query("length", default=MAX_LENGTH, low=1, high=MAX_LENGTH)
        tail = self.int_query("tail", low=1, high=MAX_LENGTH)
        follow = self.get_query_argument("follow", "0") not in ("0", "false", "")
        if not follow:
            chunk = await self.call(self.manager.read_log, name, node, offset, length, tail=tail)
            self.reply({"text": chunk.text, "start": chunk.start, "offset": chunk.offset, "size": chunk.size,
                        "finished": chunk.finished})
            return
        # 400/403/404 before the stream starts; the node is found once, then polled by id
        node_id, path = await self.call(self.manager.resolve_log, name, node)
        if tail is not None:
            offset = (await self.call(self.manager.read_log, name, node_id, 0, 1, tail=tail)).start
        self.set_header("Content-Type", "text/event-stream; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Accel-Buffering", "no")
        budget = self.budget
        idle = 0.0
        while True:
            done = await self.call(self.manager.log_finished, name, node_id)
            step = await self.call(follow_step, path, offset, done=done, budget=budget)
            try:
                for chunk in step.chunks:
                    data = json.dumps({"text": chunk.text, "start": chunk.start, "offset": chunk.offset})
                    self.write(f"id: {chunk.offset}\nevent: log\ndata: {data}\n\n")
                    budget -= chunk.offset - chunk.start   # bytes sent (skipped ones are not)
                    offset = chunk.offset
                    idle = 0.0
                if not step.chunks and idle >= 15:
                    self.write(": keep-alive\n\n")
                    idle = 0.0
                if step.finished:
                    self.write(f"event: end\ndata: {json.dumps({'offset': offset})}\n\n")
                    await self.flush()
                    break
                if budget <= 0:
                    self.write(f"event: budget\ndata: {json.dumps({'offset': offset})}\n\n")
                    await self.flush()
                    break
                await self.flush()
            except StreamClosedError:
                return
            await asyncio.sleep(self.poll)
            idle += self.poll
        self.finish(set_content_type="text/event-stream; charset=utf-8")


class ArtifactHandler(BaseHandler):
    @web.authenticated
    @_answered
    async def get(self, name, key):
        path = await self.call(self.manager.artifact_path, name, key)
        if path.is_dir():
            from .listing import list_dir   # capped: a step decides how many files it made
            self.reply(dict(await self.call(list_dir, path), key=key))
            return
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        # never let the browser render an artifact as a page of this origin
        if ctype not in _SAFE_TYPES:
            ctype = "application/octet-stream"
        self.set_header("Content-Type", ctype)
        self.set_header("Content-Security-Policy", "sandbox; default-src 'none'")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Disposition", content_disposition(path.name))
        with open(path, "rb") as fh:
            while True:
                data = fh.read(1 << 16)
                if not data:
                    break
                self.write(data)
                await self.flush()   # a multi-GB artifact is never held whole in the server's memory
        self.finish(set_content_type=ctype)


def content_disposition(name: str) -> str:
    """``attachment`` with a file name a step chose, made safe for a header (RFC 6266): an ASCII
    ``filename`` with quotes, backslashes and control or non-ASCII characters replaced, and the
    exact name percent-encoded in ``filename*`` (a quote in the name cannot add parameters, a
    control character or non-Latin-1 text cannot make the header unsendable)."""
    from urllib.parse import quote
    fallback = "".join(c if " " <= c < "\x7f" and c not in '"\\' else "_" for c in name)
    exact = quote(name.encode("utf-8", "surrogateescape"), safe="")
    return f'attachment; filename="{fallback}"; filename*=UTF-8\'\'{exact}'


class DebugHandler(BaseHandler):
    @web.authenticated
    @_answered
    async def get(self, name, node):
        self.reply(await self.call(self.manager.debug_code, name, node))


class CompareHandler(BaseHandler):
    @web.authenticated
    @_answered
    async def get(self):
        self.reply(await self.call(self.manager.compare, self.get_query_argument("runs", None)))


class LintHandler(BaseHandler):
    @web.authenticated
    @_answered
    async def post(self):
        body = self.body()
        self.reply({"errors": await self.call(self.manager.lint, body.get("yaml"), body.get("filename"))})


def routes(base_url: str = "/") -> list[tuple[str, type]]:
    api = url_path_join(base_url, API)
    actions = "|".join(ACTIONS)
    return [
        (url_path_join(api, "runs") + "/?", RunsHandler),
        (url_path_join(api, "runs", _NAME) + "/?", RunHandler),
        (url_path_join(api, "runs", _NAME, rf"(?P<action>{actions})") + "/?", ActionHandler),
        (url_path_join(api, "runs", _NAME, "graph") + "/?", GraphHandler),
        (url_path_join(api, "runs", _NAME, "nodes", r"(?P<node>[^/]+)", "log") + "/?", LogHandler),
        (url_path_join(api, "runs", _NAME, "nodes", r"(?P<node>[^/]+)", "debug") + "/?", DebugHandler),
        (url_path_join(api, "runs", _NAME, "artifacts", r"(?P<key>.+)"), ArtifactHandler),
        (url_path_join(api, "lint") + "/?", LintHandler),
        (url_path_join(api, "compare") + "/?", CompareHandler),
    ]
