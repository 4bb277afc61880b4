"""TEST DOUBLE for the Kubernetes API server: a small fake over real HTTP on 127.0.0.1, recording every request.

This is not Kubernetes. It is enough of the API for the argo and kubernetes backends to exercise
their real client code (the official ``kubernetes`` package) end to end: Workflow custom objects
(create, get, list+watch, merge patch, replace, delete), pods (create, get, log with
``follow``, delete, list), generic namespaced resources (configmaps, jobs, ...), the discovery
documents (``/api``, ``/api/v1``, ``/apis``, ``/apis/<group>/<version>``) and merge, JSON and
(simplified: lists replace) strategic merge patches. Nothing validates or defaults objects and
no controller acts on them: Workflows progress through a test-given ``script`` (a list of status
dicts, each delivered as a watch MODIFIED event, and ``Wait`` predicates on the stored object);
pods progress through ``pod_script`` or a ``kubelet`` (see ``fakekubelet.py``); other objects
change only when a test calls ``advance``.
"""
from __future__ import annotations

import copy
import json
import random
import re
import string
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fakekube_objects import RESOURCES, discovery, json_patch, merge_patch


class Wait:
    def __init__(self, predicate, timeout=20.0):
        self.predicate = predicate
        self.timeout = timeout


class FakeKube:
    def __init__(self):
        self.requests: list[dict] = []
        self.objects: dict[tuple, dict] = {}      # (plural, ns, name) -> object
        self.script: list = []
        self.logs: dict[str, str] = {}
        self.pod_script = None                    # fn(pod) -> status dict, for created pods
        self.kubelet = None                       # .start(fake, key, pod) / .delete(key): see fakekubelet.py
        self.forbid: set[str] = set()             # "METHOD plural" pairs answered with 403
        self.follow_fails = False                 # log?follow=true answered 500 (a proxy that cuts streams)
        self.rv = 0
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"   # chunked watch streams reach the client event by event

            def log_message(self, *a):
                pass

            def _body(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n) if n else b""
                try:
                    return json.loads(raw) if raw else None
                except ValueError:
                    return raw.decode()

            def _send(self, code, obj=None, text=None):
                data = text.encode() if text is not None else json.dumps(obj if obj is not None else {}).encode()
                self.send_response(code)
                self.send_header("Content-Type", "text/plain" if text is not None else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def handle_any(self, method):
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                body = self._body() if method in ("POST", "PUT", "PATCH") else None
                fake.requests.append({"method": method, "path": url.path, "query": query, "body": body,
                                      "content_type": self.headers.get("Content-Type"),
                                      "auth": self.headers.get("Authorization")})
                try:
                    fake.route(self, method, url.path, query, body)
                except BrokenPipeError:
                    pass

            def do_GET(self):
                self.handle_any("GET")

            def do_POST(self):
                self.handle_any("POST")

            def do_PUT(self):
                self.handle_any("PUT")

            def do_PATCH(self):
                self.handle_any("PATCH")

            def do_DELETE(self):
                self.handle_any("DELETE")

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):   # a client that hangs up mid-stream is fine
                import sys
                if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    # -- helpers -------------------------------------------------------------------------------
    def kubeconfig(self, path, namespace="default", token="t0ken"):
        path.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "fake",
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "users": [{"name": "me", "user": {"token": token}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "me", "namespace": namespace}}]}))
        return path

    def calls(self, method=None, contains=""):
        return [r for r in self.requests if (method is None or r["method"] == method) and contains in r["path"]]

    def _bump(self, obj):
        self.rv += 1
        obj.setdefault("metadata", {})["resourceVersion"] = str(self.rv)
        self.changed.notify_all()

    def advance(self, key, status):
        with self.lock:
            obj = self.objects[key]
            obj["status"] = merge_patch(obj.get("status") or {}, status)
            self._bump(obj)
            return copy.deepcopy(obj)

    def append_log(self, name, text):
        with self.lock:
            self.logs[name] = self.logs.get(name, "") + text
            self.changed.notify_all()

    # -- routing -------------------------------------------------------------------------------
    def _discovery(self, h, path):
        if path == "/api":
            return h._send(200, {"kind": "APIVersions", "versions": ["v1"]})
        if path == "/apis":
            groups = sorted({gv.split("/")[0] for gv in RESOURCES if "/" in gv})
            return h._send(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": g, "versions": [{"groupVersion": gv, "version": gv.split("/")[1]}
                                         for gv in RESOURCES if gv.startswith(g + "/")],
                 "preferredVersion": {"groupVersion": next(gv for gv in RESOURCES if gv.startswith(g + "/")),
                                      "version": next(gv for gv in RESOURCES if gv.startswith(g + "/")).split("/")[1]}}
                for g in groups]})
        gv = "v1" if path == "/api/v1" else path[len("/apis/"):]
        if gv in RESOURCES:
            return h._send(200, discovery(gv))
        return h._send(404, {"kind": "Status", "code": 404, "reason": "NotFound", "message": f"no route {path}"})

    def route(self, h, method, path, query, body):
        if method == "GET" and (path in ("/api", "/apis", "/api/v1") or re.fullmatch(r"/apis/[^/]+/[^/]+", path)):
            return self._discovery(h, path)
        m = re.fullmatch(r"/apis/(?P<group>[^/]+)/(?P<ver>[^/]+)/namespaces/(?P<ns>[^/]+)/(?P<plural>[^/]+)"
                         r"(?:/(?P<name>[^/]+))?(?:/(?P<sub>[^/]+))?", path) or \
            re.fullmatch(r"/api/v1/namespaces/(?P<ns>[^/]+)/(?P<plural>[^/]+)(?:/(?P<name>[^/]+))?"
                         r"(?:/(?P<sub>[^/]+))?", path)
        if not m:
            return h._send(404, {"kind": "Status", "code": 404, "message": f"no route {path}"})
        ns, plural, name, sub = m["ns"], m["plural"], m["name"], m["sub"]
        if f"{method} {plural}" in self.forbid or (sub and f"{method} {plural}/{sub}" in self.forbid):
            return h._send(403, {"kind": "Status", "status": "Failure", "reason": "Forbidden", "code": 403,
                                 "message": f'{plural} is forbidden: User "me" cannot {method.lower()} '
                                            f'resource "{plural}" in the namespace "{ns}"'})
        key = (plural, ns, name)
        if method == "POST":
            obj = copy.deepcopy(body)
            name = obj["metadata"].get("name") or obj["metadata"].get("generateName", "x-") + "".join(
                random.choices(string.ascii_lowercase + string.digits, k=5))
            obj["metadata"]["name"] = name
            obj["metadata"]["namespace"] = ns
            obj["metadata"]["uid"] = f"uid-{name}"
            with self.lock:
                if (plural, ns, name) in self.objects:
                    return h._send(409, {"kind": "Status", "code": 409, "reason": "AlreadyExists",
                                         "message": f"{plural} {name!r} already exists"})
                self.objects[(plural, ns, name)] = obj
                if plural == "pods" and self.kubelet is not None:
                    self.logs.pop(name, None)   # a new pod, a new log
                    self.kubelet.start(self, (plural, ns, name), copy.deepcopy(obj))
                elif plural == "pods" and self.pod_script:
                    threading.Thread(target=self._run_pod, args=((plural, ns, name),), daemon=True).start()
                self._bump(obj)
            return h._send(201, obj)
        if method == "GET" and name is None:
            if query.get("watch") in ("true", "1", "True"):
                return self._watch(h, plural, ns, query)
            with self.lock:
                items = [o for (p, n, _), o in self.objects.items() if p == plural and n == ns]
                sel = query.get("labelSelector")
                if sel:
                    k, _, v = sel.partition("=")
                    items = [o for o in items if (o["metadata"].get("labels") or {}).get(k) == v]
                return h._send(200, {"kind": "List", "metadata": {"resourceVersion": str(self.rv)},
                                     "items": copy.deepcopy(items)})
        if method == "GET" and sub == "log" and query.get("follow") == "true":
            if self.follow_fails:
                return h._send(500, {"kind": "Status", "code": 500, "message": "stream cut (test double)"})
            return self._follow_log(h, key, name)
        if method == "GET" and sub == "log" and name in self.logs:
            return h._send(200, text=self.logs[name])
        with self.lock:
            obj = self.objects.get(key)
        if obj is None:
            return h._send(404, {"kind": "Status", "code": 404, "reason": "NotFound",
                                 "message": f'{plural} "{name}" not found'})
        if method == "GET" and sub == "log":
            return h._send(200, text=self.logs.get(name, ""))
        if method == "GET":
            with self.lock:
                return h._send(200, copy.deepcopy(obj))
        if method == "PATCH":
            with self.lock:
                try:
                    new = json_patch(obj, body) if "json-patch" in (h.headers.get("Content-Type") or "") \
                        else merge_patch(obj, body)
                except (KeyError, IndexError, ValueError, TypeError) as exc:
                    return h._send(422, {"kind": "Status", "code": 422, "reason": "Invalid",
                                         "message": f"the patch could not be applied: {exc}"})
                self.objects[key] = new
                self._bump(new)
                return h._send(200, copy.deepcopy(new))
        if method == "PUT":
            with self.lock:
                if body["metadata"].get("resourceVersion") != obj["metadata"].get("resourceVersion"):
                    return h._send(409, {"kind": "Status", "code": 409, "reason": "Conflict", "message": "conflict"})
                self.objects[key] = copy.deepcopy(body)
                self._bump(self.objects[key])
                return h._send(200, copy.deepcopy(self.objects[key]))
        if method == "DELETE":
            with self.lock:
                self.objects.pop(key, None)
                self.changed.notify_all()
            if plural == "pods" and self.kubelet is not None:
                self.kubelet.delete(key)
            return h._send(200, {"kind": "Status", "status": "Success"})
        return h._send(405, {"message": "method not allowed"})

    def _watch(self, h, plural, ns, query):
        name = (query.get("fieldSelector") or "").partition("=")[2]
        key = (plural, ns, name)
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Transfer-Encoding", "chunked")
        h.send_header("Connection", "close")
        h.end_headers()

        def send(obj, kind="MODIFIED"):
            data = (json.dumps({"type": kind, "object": obj}) + "\n").encode()
            h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            h.wfile.flush()

        while self.script:
            step = self.script.pop(0)
            if isinstance(step, Wait):
                deadline = time.monotonic() + step.timeout
                with self.lock:
                    while not step.predicate(self.objects.get(key) or {}) and time.monotonic() < deadline:
                        self.changed.wait(0.1)
                continue
            time.sleep(0.02)
            send(self.advance(key, step))
        h.wfile.write(b"0\r\n\r\n")
        h.wfile.flush()
        h.close_connection = True

    def _follow_log(self, h, key, name):
        """``log?follow=true``: chunks as the kubelet writes them, until the pod ends or is deleted."""
        h.send_response(200)
        h.send_header("Content-Type", "text/plain")
        h.send_header("Transfer-Encoding", "chunked")
        h.send_header("Connection", "close")
        h.end_headers()
        sent = 0
        while True:
            with self.lock:
                text = self.logs.get(name, "")
                obj = self.objects.get(key)
                status = (obj or {}).get("status") or {}
                ended = obj is None or status.get("phase") in ("Succeeded", "Failed") or any(   # main's stream ends
                    cs.get("name") == "main" and "terminated" in (cs.get("state") or {})
                    for cs in status.get("containerStatuses") or [])
                if len(text) == sent and not ended:
                    self.changed.wait(1.0)
                    continue
            if len(text) > sent:
                data = text[sent:].encode()
                h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                h.wfile.flush()
                sent = len(text)
            elif ended:
                break
        h.wfile.write(b"0\r\n\r\n")
        h.wfile.flush()
        h.close_connection = True

    def _run_pod(self, key):
        time.sleep(0.05)
        with self.lock:
            pod = copy.deepcopy(self.objects.get(key))
        if pod is None:
            return
        for status in self.pod_script(pod):
            time.sleep(0.05)
            with self.lock:
                if key not in self.objects:
                    return
                self.objects[key]["status"] = status
                self._bump(self.objects[key])
