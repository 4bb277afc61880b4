"""``daemon: true`` templates: a step that keeps running beside the steps after it.

Argo (operator.go assessNodeStatus, exec_control.go killDaemonedChildren):

* the pod starts; once it runs and every container is ready (its ``readinessProbe`` passes, or at
  start without one) the node is ``Running`` with ``daemoned: true`` and ``podIP``, and counts as
  fulfilled: the step group / DAG goes on, and later steps reach it at ``{{steps.NAME.ip}}`` /
  ``{{tasks.NAME.ip}}`` (127.0.0.1 here: the daemon is a local process);
* a daemon that ends by itself (before or after it was ready) fails its node, even with exit
  code 0: a daemon is meant to run until it is stopped;
* when the steps/DAG node whose boundary holds it is done, whatever its phase, its daemoned nodes
  are killed and marked ``Succeeded`` (the ``daemoned`` flag is dropped); what is left when the
  workflow ends is killed then, as in markWorkflowPhase. A stop or terminate does the same to a
  daemoned node (a daemon still waiting to be ready fails like any other step).

Probes run from the engine: ``httpGet`` (status 200-399) and ``tcpSocket`` against the daemon's
address, ``exec`` as a process beside the daemon in its filesystem view (as a containerSet's
containers share one); ``initialDelaySeconds``, ``periodSeconds``, ``timeoutSeconds`` and
``successThreshold`` as Kubernetes defines them.
"""
from __future__ import annotations

import asyncio
import dataclasses
import re
from typing import TYPE_CHECKING

from ..errors import JupyterFlowError
from ..executors.base import capabilities
from .nodes import FAILED, RETRY, RUNNING, SUCCEEDED, Node

if TYPE_CHECKING:
    from ..executors.base import StepSpec
    from .call import Call

LOCAL_IP = "127.0.0.1"
_SAFE_PATH = re.compile(r"[!-~]*\Z")            # printable ASCII, no space: nothing to split a request
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")   # an HTTP header name


class ProbeError(JupyterFlowError):
    """A readiness probe this engine cannot run (the node errors, saying why)."""


@dataclasses.dataclass
class Daemon:
    node: Node
    task: asyncio.Future
    boundary_id: str
    parents: list[Node] = dataclasses.field(default_factory=list)   # Retry nodes daemoned with it
    ending: bool = False   # its scope ended: the kill is expected
    dead: bool = False     # its process ended by itself: only its Retry nodes are left daemoned
    sidecars: list = dataclasses.field(default_factory=list)   # sidecars.Sidecar, killed with it


def is_daemon(tmpl: dict) -> bool:
    value = tmpl.get("daemon")
    return value is True or (isinstance(value, str) and value.lower() == "true")


async def run_daemon(call: "Call", node: Node, spec: "StepSpec", prepare, container: dict,
                     sidecars: list | None = None) -> None:
    """Start the daemon and return once it is ready (node daemoned) or has ended (node failed).
    ``sidecars`` (already started) are killed when the daemon is."""
    ctl = call.ctl
    sidecars = sidecars or []
    probe = container.get("readinessProbe")
    check = None
    if probe and not capabilities(ctl.executor).env_from_cluster:
        try:   # a probe this engine cannot run errors the node before anything starts
            check = _checker(probe, container, node, spec, ctl)
        except ProbeError as exc:
            await _stop_sidecars(ctl, sidecars)
            ctl.set_phase(node, "Error", f"step {node.display_name!r}: {exc}")
            return
    started = asyncio.Event()
    address = [LOCAL_IP]

    def on_start(ip: str | None = None) -> None:   # a cluster Pod's executor passes its podIP
        if ip:
            address[0] = ip
        started.set()
    spec.on_start = on_start
    spec.write_later = None   # it runs on: its log is a file from the start
    ctl.set_phase(node, RUNNING)
    task = asyncio.ensure_future(ctl.executor.run(spec, prepare))
    if not capabilities(ctl.executor).reports_start:
        started.set()   # the executor cannot tell: started once submitted
    ready = await _wait_ready(task, started, probe, check)
    if not ready:
        result = await task
        await _stop_sidecars(ctl, sidecars)
        _ended(ctl, node, result)
        return
    node.daemoned = True
    node.pod_ip = address[0]
    ctl.touch(node)
    entry = ctl.daemons[node.id] = Daemon(node, task, node.boundary_id, sidecars=sidecars)
    task.add_done_callback(lambda t: _on_exit(ctl, entry, t))


async def _stop_sidecars(ctl, sidecars: list) -> None:
    if sidecars:
        from .sidecars import stop_sidecars
        await stop_sidecars(ctl, sidecars)


def _ended(ctl, node: Node, result) -> None:
    """A daemon's process ended without being killed by its scope: the node fails."""
    from .pods import _exit_phase
    phase, message = _exit_phase(ctl, result)
    if phase == SUCCEEDED:   # assessNodeStatus: a daemon pod that succeeded is marked Failed
        phase = FAILED
    if result.exit_code is not None:
        node.outputs = {"exitCode": str(result.exit_code)}
    node.host_node_name = getattr(result, "host_node_name", "") or "localhost"
    ctl.set_phase(node, phase, message)


def _on_exit(ctl, entry: Daemon, task: asyncio.Future) -> None:
    ctl.daemons.pop(entry.node.id, None)
    for s in entry.sidecars:   # the pod is over: its sidecars go with it
        if not s.task.done():
            ctl.executor.kill(s.node_id, "sidecar")
    if entry.ending or task.cancelled():
        return
    node = entry.node
    node.daemoned = False
    if ctl.shutdown and task.exception() is None and task.result().killed == "stop":
        # stopped or terminated while daemoned: its steps/DAG node fails and kills its daemoned
        # children as Succeeded (signals_test.go TestStopBehaviorWithDaemon)
        for n in (node, *entry.parents):
            n.daemoned = False
            ctl.set_phase(n, SUCCEEDED)
        return
    if task.exception() is not None:
        ctl.set_phase(node, "Error", f"daemon {node.display_name!r}: {task.exception()}")
    else:
        _ended(ctl, node, task.result())
    if entry.parents:
        # the Retry node stays daemoned and Running, and its scope's end marks it Succeeded: Argo
        # judges it again only when it revisits the task (a DAG's daemoned tasks, which then get a
        # new attempt; not done here), never in a steps template whose group is already over
        entry.dead = True
        ctl.daemons[node.id] = entry


def adopt(ctl, child: Node, parent: Node) -> bool:
    """A Retry node whose attempt is daemoned is daemoned (and Running) too; True if so."""
    entry = ctl.daemons.get(child.id)
    if entry is None or not child.daemoned:
        return False
    entry.parents.append(parent)
    parent.daemoned = True
    ctl.set_phase(parent, RUNNING)
    return True


async def kill_scope(ctl, boundary_id: str | None) -> None:
    """killDaemonedChildren: kill the daemons of ``boundary_id`` (None: every one left) and mark
    them Succeeded; returns once their processes are gone."""
    entries = [d for d in list(ctl.daemons.values()) if boundary_id is None or d.boundary_id == boundary_id]
    if not entries:
        return
    for d in entries:
        d.ending = True
        ctl.daemons.pop(d.node.id, None)
        for n in (d.parents if d.dead else (d.node, *d.parents)):
            n.daemoned = False
            ctl.set_phase(n, SUCCEEDED)
        if not d.dead:
            ctl.executor.kill(d.node.id, "daemon")
    await asyncio.gather(*(d.task for d in entries), *(s.task for d in entries for s in d.sidecars),
                         return_exceptions=True)


# ---- readiness ---------------------------------------------------------------------------------

async def _wait_ready(task: asyncio.Future, started: asyncio.Event, probe: dict | None, check) -> bool:
    """True once the daemon is ready; False if its process ended first."""
    start_wait = asyncio.ensure_future(started.wait())
    try:
        await asyncio.wait({task, start_wait}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        start_wait.cancel()
    if task.done():
        return False
    if check is None:
        # no probe: ready at start; a cluster Pod's executor reports it once the kubelet has found
        # every container ready (its probes included)
        return True
    delay = _seconds(probe, "initialDelaySeconds", 0)
    period = max(1.0, _seconds(probe, "periodSeconds", 10))
    timeout = max(1.0, _seconds(probe, "timeoutSeconds", 1))
    needed = max(1, int(_seconds(probe, "successThreshold", 1)))
    if delay:
        await asyncio.wait({task}, timeout=delay)
    successes = 0
    while not task.done():
        try:
            ok = await asyncio.wait_for(check(timeout), timeout + 1)
        except (asyncio.TimeoutError, OSError):
            ok = False
        successes = successes + 1 if ok else 0
        if successes >= needed and not task.done():
            return True
        await asyncio.wait({task}, timeout=period)
    return False


def _seconds(probe: dict, key: str, default: float) -> float:
    raw = probe.get(key)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise ProbeError(f"readinessProbe.{key}: {raw!r} is not a number") from None


def _port(raw, container: dict, where: str) -> int:
    """A probe's port: a number, or the name of one of the container's ``ports``."""
    if isinstance(raw, str) and not raw.isdigit():
        for p in container.get("ports") or []:
            if p.get("name") == raw and p.get("containerPort") is not None:
                return int(p["containerPort"])
        raise ProbeError(f"readinessProbe.{where}.port: no container port is named {raw!r}")
    try:
        port = int(raw)
    except (TypeError, ValueError):
        raise ProbeError(f"readinessProbe.{where}.port: {raw!r} is not a port") from None
    if not 0 < port < 65536:
        raise ProbeError(f"readinessProbe.{where}.port: {port} is out of range")
    return port


def _checker(probe: dict, container: dict, node: Node, spec, ctl):
    for key in ("initialDelaySeconds", "periodSeconds", "timeoutSeconds", "successThreshold"):
        _seconds(probe, key, 0)
    if probe.get("httpGet") is not None:
        return _http_check(probe["httpGet"], container)
    if probe.get("tcpSocket") is not None:
        tcp = probe["tcpSocket"]
        host, port = str(tcp.get("host") or LOCAL_IP), _port(tcp.get("port"), container, "tcpSocket")

        async def tcp_check(timeout: float) -> bool:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
            writer.close()
            return True
        return tcp_check
    if probe.get("exec") is not None:
        command = [str(c) for c in (probe["exec"] or {}).get("command") or []]
        if not command:
            raise ProbeError("readinessProbe.exec.command is empty")

        async def exec_check(timeout: float) -> bool:
            # beside the daemon, in the same filesystem view (its root and private paths)
            probe_spec = dataclasses.replace(spec, node_id=f"{node.id}-readiness", command=command, args=[],
                                             script=None, log_path=None, deadline=timeout, on_start=None,
                                             write_later=None)
            result = await ctl.executor.run(probe_spec, None)
            return result.exit_code == 0 and not result.killed
        return exec_check
    kind = next((k for k in ("grpc",) if probe.get(k) is not None), None)
    raise ProbeError(f"readinessProbe.{kind or '?'} is not supported off-cluster (httpGet, tcpSocket and exec "
                     "are); run with --backend argo")


def _http_check(get: dict, container: dict):
    host = str(get.get("host") or LOCAL_IP)
    port = _port(get.get("port"), container, "httpGet")
    path = str(get.get("path") or "/")
    if not path.startswith("/"):
        path = "/" + path
    if not _SAFE_PATH.match(path):
        raise ProbeError(f"readinessProbe.httpGet.path: {path!r} has spaces or control characters")
    scheme = str(get.get("scheme") or "HTTP").upper()
    if scheme not in ("HTTP", "HTTPS"):
        raise ProbeError(f"readinessProbe.httpGet.scheme: {scheme!r} is not HTTP or HTTPS")
    headers = {"Host": f"{host}:{port}", "User-Agent": "kube-probe/1", "Accept": "*/*"}
    for h in get.get("httpHeaders") or []:
        name, value = str(h.get("name", "")), str(h.get("value", ""))
        if not _TOKEN.match(name) or any(c in value for c in "\r\n\0"):
            raise ProbeError(f"readinessProbe.httpGet.httpHeaders: {name!r} is not a valid header")
        headers[name] = value
    request = (f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
               + "Connection: close\r\n\r\n").encode("latin-1", "replace")

    async def http_check(timeout: float) -> bool:
        ssl_ctx = None
        if scheme == "HTTPS":   # the kubelet does not verify the certificate
            import ssl
            ssl_ctx = ssl.create_default_context()
            ssl_ctx.check_hostname = False
            ssl_ctx.verify_mode = ssl.CERT_NONE
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=ssl_ctx), timeout)
        try:
            writer.write(request)
            line = await asyncio.wait_for(reader.readline(), timeout)
        finally:
            writer.close()
        parts = line.split()
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
            return False
        return 200 <= int(parts[1]) < 400
    return http_check
