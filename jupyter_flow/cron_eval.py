"""A CronWorkflow's ``when`` and ``stopStrategy.expression``, evaluated in a worker process.

The scheduler runs inside the Jupyter server (``JupyterFlowApp.schedule_crons``). Expressions are
linear-time and budgeted (RE2, the expr memory budget, string caps), but a round must never be
able to stall the server, whatever the expression: Python code holding the GIL, or a C call that
does not let go of it, would stop every request (kernels, contents) until it returned. So the
serving scheduler sends each expression to one long-lived child process (``python -m
jupyter_flow.cron_eval``) and waits for the answer off the GIL, for at most
``JUPYTER_FLOW_CRON_EXPR_SECONDS`` (10 s); the child has an address-space cap
(``JUPYTER_FLOW_CRON_EXPR_MB``, 1024 MB). An expression over its time is stopped (the child is
killed and started again next time) and, like any bad ``when``, recorded on the CronWorkflow as a
``SubmissionError`` condition; the round goes on with the next CronWorkflow.

:func:`holds` is the evaluation itself (the worker runs it; ``cron`` runs it in process when no
worker is used), so the worker imports only the expression packages, never the scheduler.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone

from .errors import JupyterFlowError
from .timestamps import parse_iso

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # imports this jupyter_flow
SECONDS = 10.0
MEMORY_MB = 1024


def _setting(name: str, default: float) -> float:
    value = os.environ.get(name)
    try:
        return float(value) if value else default
    except ValueError:
        return default


class Isolated:
    """``holds()`` answered by a worker process, with a time and a memory budget."""

    def __init__(self, seconds: float | None = None, memory_mb: float | None = None) -> None:
        self.seconds = seconds if seconds is not None else _setting("JUPYTER_FLOW_CRON_EXPR_SECONDS", SECONDS)
        self.memory_mb = memory_mb if memory_mb is not None else _setting("JUPYTER_FLOW_CRON_EXPR_MB", MEMORY_MB)
        self._proc: subprocess.Popen | None = None
        self._buf = b""

    def _worker(self) -> subprocess.Popen:
        if self._proc is None or self._proc.poll() is not None:
            self._buf = b""
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "jupyter_flow.cron_eval", str(int(self.memory_mb))],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env=dict(os.environ, PYTHONPATH=os.pathsep.join(
                    p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p)))
        return self._proc

    def holds(self, text: str, doc: dict, status: dict, what: str) -> bool:
        import select

        proc = self._worker()
        request = json.dumps({"text": text, "doc": doc, "status": status, "what": what}, default=str)
        try:
            proc.stdin.write(request.encode() + b"\n")
            proc.stdin.flush()
        except OSError:
            self.close()
            raise JupyterFlowError(f"spec.{what}: the expression worker stopped; try again") from None
        deadline = time.monotonic() + self.seconds
        fd = proc.stdout.fileno()
        poller = select.poll()     # not select.select: a Jupyter server's descriptors pass 1024
        poller.register(fd, select.POLLIN)
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            ready = poller.poll(max(0.0, left) * 1000) if left > 0 else []
            if not ready:
                self.close()
                raise JupyterFlowError(
                    f"spec.{what}: the expression took longer than {self.seconds:g} s and was stopped "
                    "(JUPYTER_FLOW_CRON_EXPR_SECONDS raises the limit)")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                code = proc.wait()
                self.close()
                raise JupyterFlowError(
                    f"spec.{what}: the expression worker ended (exit {code}): it needed more than "
                    f"{self.memory_mb:g} MB (JUPYTER_FLOW_CRON_EXPR_MB raises the limit) or was killed")
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        answer = json.loads(line)
        if "error" in answer:
            raise JupyterFlowError(answer["error"])
        return bool(answer["value"])

    def close(self) -> None:
        """Stop the worker (the one this object started)."""
        proc, self._proc, self._buf = self._proc, None, b""
        if proc is not None:
            for stream in (proc.stdin, proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def _env(doc: dict, status: dict) -> dict:
    """The variables of ``when`` and ``stopStrategy.expression`` (cron operator.go expressionEnv)."""
    import json
    meta = doc.get("metadata") or {}
    last = status.get("lastScheduledTime")
    return {"cronworkflow.name": meta.get("name", ""), "cronworkflow.namespace": meta.get("namespace", "default"),
            "cronworkflow.labels": meta.get("labels") or {}, "cronworkflow.annotations": meta.get("annotations") or {},
            "cronworkflow.labels.json": json.dumps(meta.get("labels") or {}),
            "cronworkflow.annotations.json": json.dumps(meta.get("annotations") or {}),
            "cronworkflow.lastScheduledTime": datetime.fromtimestamp(parse_iso(last), timezone.utc) if last else None,
            "cronworkflow.failed": int(status.get("failed") or 0),
            "cronworkflow.succeeded": int(status.get("succeeded") or 0)}


def holds(text: str, doc: dict, status: dict, what: str) -> bool:
    """``when`` or ``stopStrategy.expression``, through the project's parsers: ``{{= }}`` tags are
    replaced, then the result is a govaluate boolean (``when``) or an expr one (stop)."""
    from . import expr
    from .errors import ExprError
    env = _env(doc, status)
    try:
        if what == "when":
            return bool(expr.when(expr.substitute(text, env)))
        result = expr.evaluate(text, expr.nested_env(env))
    except ExprError as exc:
        raise JupyterFlowError(f"spec.{what}: {exc}") from None
    if not isinstance(result, bool):
        raise JupyterFlowError(f"spec.{what}: {text!r} gave {result!r}, not a boolean")
    return result


def _serve(memory_mb: int) -> None:
    """The worker: one JSON request per line in, one answer per line out."""
    import resource

    limit = memory_mb * 1024 * 1024
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):
        pass
    for line in sys.stdin.buffer:
        req = json.loads(line)
        try:
            out = {"value": holds(req["text"], req["doc"], req["status"], req["what"])}
        except JupyterFlowError as exc:
            out = {"error": str(exc)}
        except MemoryError:
            out = {"error": f"spec.{req['what']}: the expression needed more than {memory_mb} MB"}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _serve(int(sys.argv[1]) if len(sys.argv) > 1 else MEMORY_MB)
