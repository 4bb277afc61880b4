"""Run leaf steps as tasks on a dask.distributed cluster: the ``dask`` backend.

The engine (controller) stays here; each Pod node becomes one task that runs the step's process
on a worker with :class:`~jupyter_flow.executors.local.LocalExecutor` (same sandbox, process
group, deadline and result logic as a local step). What travels:

* **inputs** -- the engine places input artifacts in a client-side staging tree (``prepare``);
  they go to the worker as a tar in the task's arguments and are unpacked at the step's paths.
* **outputs** -- the declared output paths come back as a tar in the task's result and are
  unpacked into the same staging tree, where the engine collects parameters and artifacts.
* **logs** -- the worker tails the step's log file and sends chunks as structured events on the
  topic ``jupyter-flow-logs`` (``Worker.log_event``); the client appends them to the node's log
  file as they arrive (``Client.subscribe_topic``), so ``logs -f`` streams as for a local step.
* **stop** -- sets a ``distributed.Event`` the task watches; the worker kills the process group.
  A task that has not started yet is cancelled.

Settings (``dask:`` in config.yaml): ``address`` (a scheduler; otherwise a LocalCluster is started
with ``workers`` (2), ``threadsPerWorker`` (4) and ``processes`` (true)).
"""
from __future__ import annotations

import asyncio
import atexit
import dataclasses
import io
import os
import shutil
import tarfile
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Callable

from ..store.paths import opener
from .base import StepResult, StepSpec
from .local import LocalExecutor
from .stepfs import stage_inputs

LOG_TOPIC = "jupyter-flow-logs"
_clients: dict[tuple, object] = {}
_clients_lock = threading.Lock()


def _pack(root: Callable[[str], Path], paths: list[str]) -> bytes:
    """The given absolute paths (as seen through ``root``) as a tar; missing ones are left out."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path in paths:
            src = root(path)
            if src.exists() or src.is_symlink():
                tar.add(str(src), arcname=path.lstrip("/"))
    return buf.getvalue()


def _unpack(data: bytes, root: Callable[[str], Path]) -> None:
    if not data:
        return
    with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
        for member in tar.getmembers():
            target = root("/" + member.name)
            target.parent.mkdir(parents=True, exist_ok=True)
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            if member.issym():
                if target.exists() or target.is_symlink():
                    target.unlink()
                target.symlink_to(member.linkname)
                continue
            extracted = tar.extractfile(member)
            if extracted is None:
                continue
            with open(target, "wb") as out:
                shutil.copyfileobj(extracted, out)
            os.chmod(target, member.mode & 0o7777)


def run_on_worker(spec: StepSpec, inputs: bytes, input_paths: list[str], output_paths: list[str],
                  stop_event: str) -> dict:
    """The task: run the step with the local process logic on this worker."""
    from distributed import Event, get_worker

    try:
        worker = get_worker()
        address = worker.address
        from distributed import get_client
        ev = Event(stop_event, client=get_client())
    except ValueError:   # run outside a worker (tests of this function)
        worker, address, ev = None, "local", None
    # not under /tmp: the step's sandbox gives it a private /tmp, where its script would be hidden
    scratch = Path(os.environ.get("JUPYTER_FLOW_WORKER_DIR") or Path.home() / ".cache" / "jupyter-flow" / "dask")
    scratch.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="step-", dir=scratch))
    spec = dataclasses.replace(spec, root=base / "nodes" / spec.node_id, log_path=base / "step.log", run_dir=base)
    (base / "nodes").mkdir()
    spec.log_path.touch()
    executor = LocalExecutor()
    done = threading.Event()
    sent = 0

    def ship_logs(final: bool = False):
        nonlocal sent
        with open(spec.log_path, "rb") as f:
            f.seek(sent)
            chunk = f.read()
        if not chunk:
            return
        if not final:   # whole lines while running
            cut = chunk.rfind(b"\n") + 1
            chunk = chunk[:cut]
            if not chunk:
                return
        sent += len(chunk)
        if worker is not None:
            worker.log_event(LOG_TOPIC, {"node": spec.node_id, "data": chunk.decode("utf-8", "replace")})

    def watch():
        while not done.is_set():
            if ev is not None and ev.wait(0.25):
                executor.kill_all("stop")
                done.wait(0.5)
            elif ev is None:
                done.wait(0.25)
            ship_logs()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        result = asyncio.run(executor.run(spec, lambda host_path: _unpack(inputs, host_path)))
    finally:
        done.set()
        watcher.join(5)
        ship_logs(final=True)
    outputs = _pack(result.host_path, [p for p in output_paths if p not in input_paths]) \
        if result.exit_code is not None else b""
    shutil.rmtree(base, ignore_errors=True)
    return {"exit_code": result.exit_code, "stdout": result.stdout, "error": result.error, "killed": result.killed,
            "outputs": outputs, "worker": address, "log_bytes": sent}


class DaskExecutor(LocalExecutor):
    """Leaf steps as dask tasks; the controller stays in this process."""

    name = "dask"
    creates_dirs = False   # its log is opened before the step starts: the run makes logs/ at once

    def __init__(self, address: str | None = None, *, workers: int = 2, threads_per_worker: int = 4,
                 processes: bool = True, client=None):
        super().__init__()
        self.address = address
        self.cluster_args = dict(n_workers=workers, threads_per_worker=threads_per_worker, processes=processes)
        self._client = client
        self.futures: dict[str, object] = {}
        self.stop_events: dict[str, str] = {}
        self.logs: dict[str, Path] = {}

    @classmethod
    def from_settings(cls, settings: dict) -> "DaskExecutor":
        return cls(settings.get("address"), workers=int(settings.get("workers", 2)),
                   threads_per_worker=int(settings.get("threadsPerWorker", 4)),
                   processes=bool(settings.get("processes", True)))

    # -- the cluster -----------------------------------------------------------------------------
    def client(self):
        if self._client is not None:
            return self._client
        key = (self.address, tuple(sorted(self.cluster_args.items())))
        with _clients_lock:
            client = _clients.get(key)
            if client is None or client.status in ("closed", "closing"):
                from distributed import Client, LocalCluster
                if self.address:
                    client = Client(self.address, set_as_default=False)
                else:
                    cluster = LocalCluster(dashboard_address=None, **self.cluster_args)
                    client = Client(cluster, set_as_default=False)
                _clients[key] = client
        self._client = client
        client.subscribe_topic(LOG_TOPIC, self._on_log)
        return client

    def _on_log(self, event) -> None:
        _, msg = event
        path = self.logs.get(msg.get("node"))
        if path is not None:
            with open(path, "a", encoding="utf-8", opener=opener) as f:
                f.write(msg.get("data", ""))

    # -- one step --------------------------------------------------------------------------------
    async def run(self, spec: StepSpec, prepare: Callable[[Callable[[str], Path]], None] | None = None) -> StepResult:
        started = time.time()
        loop = asyncio.get_running_loop()
        staging = spec.root or Path(tempfile.mkdtemp(prefix="jf-dask-client-"))
        host_path, input_paths, error = stage_inputs(spec, staging, prepare)
        if error is not None:
            return StepResult(exit_code=None, error=error, host_path=host_path, started_at=started,
                              finished_at=time.time())
        try:
            client = await loop.run_in_executor(None, self.client)
        except Exception as exc:
            where = f"scheduler {self.address!r}" if self.address else "a LocalCluster"
            return StepResult(exit_code=None, host_path=host_path, started_at=started, finished_at=time.time(),
                              error=f"step {spec.step_name!r}: cannot reach the dask cluster ({where}): {exc}; "
                                    "check dask.address in config.yaml or run with --backend local")
        inputs = _pack(host_path, input_paths)
        outputs = [p for p in spec.private_paths if not p.endswith("/.")]
        remote_spec = dataclasses.replace(spec, log_path=None, root=None, on_start=None)
        stop_name = f"jf-stop-{spec.node_id}-{uuid.uuid4().hex[:8]}"
        if spec.log_path is not None:
            self.logs[spec.node_id] = spec.log_path
        self.stop_events[spec.node_id] = stop_name
        future = client.submit(run_on_worker, remote_spec, inputs, input_paths, outputs, stop_name,
                               key=f"jf-step-{spec.node_id}-{uuid.uuid4().hex[:8]}", pure=False)
        self.futures[spec.node_id] = future
        if spec.on_start is not None:   # submitted: started as far as this side can tell
            spec.on_start()
        try:
            out = await loop.run_in_executor(None, future.result)
        except Exception as exc:   # cancelled, or the worker died
            killed = self.kill_reason.pop(spec.node_id, None)
            return StepResult(exit_code=None if not killed else -9, error=None if killed else
                              f"step {spec.step_name!r}: the dask task failed: {type(exc).__name__}: {exc}",
                              killed=killed, host_path=host_path, started_at=started, finished_at=time.time())
        finally:
            self.futures.pop(spec.node_id, None)
            self.stop_events.pop(spec.node_id, None)
        # let the last log events land before the node finishes
        for _ in range(50):
            if spec.log_path is None or not out["log_bytes"] or spec.log_path.stat().st_size >= out["log_bytes"]:
                break
            await asyncio.sleep(0.02)
        self.logs.pop(spec.node_id, None)
        _unpack(out["outputs"], host_path)
        killed = self.kill_reason.pop(spec.node_id, None) or out["killed"]
        result = StepResult(exit_code=out["exit_code"], stdout=out["stdout"], error=out["error"], killed=killed,
                            host_path=host_path, started_at=started, finished_at=time.time())
        result.host_node_name = out["worker"]
        return result

    def kill(self, node_id: str, reason: str = "stop") -> None:
        future = self.futures.get(node_id)
        if future is None:
            return
        self.kill_reason.setdefault(node_id, reason)
        name = self.stop_events.get(node_id)
        client = self._client

        def signal():
            from distributed import Event
            try:
                Event(name, client=client).set()
            except Exception:
                pass
            if future.status == "pending":
                future.cancel()
        threading.Thread(target=signal, daemon=True).start()

    def kill_all(self, reason: str = "stop") -> None:
        for node_id in list(self.futures):
            self.kill(node_id, reason)


@atexit.register
def _close_clients() -> None:
    for client in list(_clients.values()):
        try:
            cluster = getattr(client, "cluster", None)
            client.close(timeout=2)
            if cluster is not None:
                cluster.close(timeout=2)
        except Exception:
            pass
    _clients.clear()
