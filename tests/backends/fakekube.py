"""A small fake Kubernetes (and Argo Server) API over real HTTP on 127.0.0.1, recording every request.

Enough of the API for the argo and kubernetes backends: Workflow custom objects (create, get,
list+watch, merge patch, replace, delete), pods (create, get, log, delete, list) and generic
namespaced resources (configmaps, jobs...). Workflows progress through a test-given ``script``:
a list of status dicts (each delivered as a watch MODIFIED event) and ``wait`` predicates on the
stored object (the stream pauses until e.g. a resume or a shutdown patch arrives).
"""
from __future__ import annotations

import copy
import json
import re
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    target = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        else:
            target[k] = merge_patch(target.get(k), v)
    return target


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
        self.forbid: set[str] = set()             # "METHOD plural" pairs answered with 403
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

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
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

    # -- routing -------------------------------------------------------------------------------
    def route(self, h, method, path, query, body):
        m = re.fullmatch(r"/apis/(?P<group>[^/]+)/(?P<ver>[^/]+)/namespaces/(?P<ns>[^/]+)/(?P<plural>[^/]+)"
                         r"(?:/(?P<name>[^/]+))?(?:/(?P<sub>[^/]+))?", path) or \
            re.fullmatch(r"/api/v1/namespaces/(?P<ns>[^/]+)/(?P<plural>[^/]+)(?:/(?P<name>[^/]+))?"
                         r"(?:/(?P<sub>[^/]+))?", path)
        if not m:
            return h._send(404, {"kind": "Status", "code": 404, "message": f"no route {path}"})
        ns, plural, name, sub = m["ns"], m["plural"], m["name"], m["sub"]
        if f"{method} {plural}" in self.forbid:
            return h._send(403, {"kind": "Status", "status": "Failure", "reason": "Forbidden", "code": 403,
                                 "message": f'{plural} is forbidden: User "me" cannot {method.lower()} '
                                            f'resource "{plural}" in the namespace "{ns}"'})
        key = (plural, ns, name)
        if method == "POST":
            obj = copy.deepcopy(body)
            name = obj["metadata"].get("name") or obj["metadata"].get("generateName", "x-") + str(self.rv)
            obj["metadata"]["name"] = name
            obj["metadata"]["namespace"] = ns
            obj["metadata"]["uid"] = f"uid-{name}"
            with self.lock:
                if (plural, ns, name) in self.objects:
                    return h._send(409, {"kind": "Status", "code": 409, "reason": "AlreadyExists",
                                         "message": f"{plural} {name!r} already exists"})
                self.objects[(plural, ns, name)] = obj
                if plural == "pods" and self.pod_script:
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
                new = merge_patch(obj, body)
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
