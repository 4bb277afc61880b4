"""Start a sweep's runs, at most ``parallelism`` at once.

The runs are created up front (Pending rows, labelled with the experiment, owned by this
process); the scheduler starts them in grid order on this process's engine threads, as
``submit()`` does, and starts the next when one ends. Why engine threads, not an engine process
per run: a detached engine is a fresh interpreter (~0.3 s of CPU), a hundred times the cost of
a short run, and a sweep is many short runs. It also makes the ends clean:

* ``stop()`` is direct: no Pending run is started any more (each is marked Failed, "Stopped with
  strategy 'Stop'", as Argo ends a stopped workflow that never ran) and the running ones are
  stopped (their exit handlers run);
* a kernel restart (or a killed process) ends the runs and the scheduler together: the rows
  name this process as their owner, so the next reader marks every unfinished one Error
  ("engine exited") and kills its step processes (``api.reconcile_orphan``). Nothing is left
  Pending forever or half-started by a scheduler that no longer exists.

``jupyter-flow submit --sweep`` without ``--wait`` runs this scheduler detached, in one process
of its own for the whole sweep (``python -m jupyter_flow.experiments.scheduler NAME -j N``), so
the runs outlive the command as a single submit's do. A stop or terminate asked through the
store (``jupyter-flow stop RUN`` from another process) of a run not started yet is honoured when
its turn comes: it is not started.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections import deque
from typing import Callable

from .. import timestamps
from ..phases import FINISHED

STOPPED = "Stopped with strategy 'Stop'"


class Scheduler:
    """Starts ``names`` (created, Pending runs) in order, ``parallelism`` at a time, on a thread."""

    def __init__(self, names: list[str], store, *, parallelism: int = 2):
        if int(parallelism) < 1:
            raise ValueError("parallelism must be at least 1")
        self.store = store
        self.parallelism = int(parallelism)
        self.queue: deque[str] = deque(names)
        self.running: dict[str, object] = {}   # run name -> its controller (or remote handle)
        self.done = threading.Event()
        self.listeners: list[Callable[[str, str], None]] = []   # fn(run, "started" | "ended")
        self._wake = threading.Event()
        self._ending: set[str] = set()
        self._stopping = False
        self._terminate = False
        self._lock = threading.Lock()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._main, name="jupyter-flow-sweep", daemon=True)

    def start(self) -> "Scheduler":
        self.thread.start()
        return self

    # -- the loop ----------------------------------------------------------------------------
    def _main(self) -> None:
        from ..engine import runner
        held = max(0, self.parallelism - runner.MAX_IDLE)
        runner.hold(held)   # the engine threads of ended runs serve the next ones
        try:
            while True:
                self._wake.clear()
                self._reap()
                if self._stopping:
                    self._cancel_queue()
                while self.queue and len(self.running) < self.parallelism and not self._stopping:
                    self._launch(self.queue.popleft())
                if not self.running and (not self.queue or self._stopping):
                    break
                self._wake.wait(0.5)   # woken when a run ends; the timeout is only a safety net
        except BaseException as exc:   # a broken scheduler must not leave runs Pending silently
            self.error = exc
            self._stopping = True
            self._cancel_queue(f"the sweep's scheduler failed: {exc}")
            raise
        finally:
            runner.unhold(held)
            self.done.set()
            self._notify("", "done")

    def _reap(self) -> None:
        with self._lock:
            ending, self._ending = self._ending, set()
        for name, handle in list(self.running.items()):
            if name in ending:
                handle.done.wait(30)   # it has emitted its end; its last write is under way
            if handle.done.is_set():
                del self.running[name]
                self._notify(name, "ended")

    def _launch(self, name: str) -> None:
        from .. import api
        rec = self.store.get_run(name, with_nodes=False)
        if rec is None or rec.phase != "Pending":   # deleted, or ended meanwhile
            return
        asked = [a for a, _ in self.store.take_requests(name)]
        if "stop" in asked or "terminate" in asked:   # stopped before its turn: never started
            self._end_unstarted(name, STOPPED)
            self._notify(name, "ended")
            return
        try:
            handle = api.start(name, rec.workflow, self.store, backend=rec.backend)
        except Exception as exc:   # a backend that cannot start it: this run fails, the sweep goes on
            self._end_unstarted(name, f"could not start: {exc}", phase="Error")
            self._notify(name, "ended")
            return
        self.running[name] = handle

        def on_event(event: dict, name=name) -> None:
            if event.get("kind") == "run" and event.get("phase") in FINISHED:
                with self._lock:
                    self._ending.add(name)
                self._wake.set()
        handle.subscribe(on_event)
        if handle.done.is_set():   # ended before we listened
            self._wake.set()
        self._notify(name, "started")
        if self._stopping:   # stop() came while it was being started: it may have missed this one
            self._stop_one(name, handle)

    def _end_unstarted(self, name: str, message: str, phase: str = "Failed") -> None:
        now = time.time()
        status = {"phase": phase, "message": message,
                  "finishedAt": timestamps.iso(now)}
        self.store.save(name, run_fields={"phase": phase, "message": message, "finished_at": now,
                                          "status": status})

    def _cancel_queue(self, message: str = STOPPED) -> None:
        while self.queue:
            name = self.queue.popleft()
            rec = self.store.get_run(name, with_nodes=False)
            if rec is not None and rec.phase == "Pending":
                self._end_unstarted(name, message)
                self._notify(name, "ended")

    def _notify(self, name: str, what: str) -> None:
        for fn in list(self.listeners):
            try:
                fn(name, what)
            except Exception:   # a broken listener (a closed widget) must not stop the sweep
                pass

    # -- control -----------------------------------------------------------------------------
    def stop(self, *, terminate: bool = False) -> None:
        """Start nothing more; stop (or terminate) the running runs."""
        self._terminate = terminate
        self._stopping = True
        self._wake.set()
        for name, handle in list(self.running.items()):
            self._stop_one(name, handle)

    def _stop_one(self, name: str, handle) -> None:
        from ..api import Run
        from ..errors import JupyterFlowError
        try:
            run = Run(name, store=self.store, controller=handle)
            run.terminate() if self._terminate else run.stop()
        except JupyterFlowError:   # ended meanwhile
            pass

    def join(self, timeout: float | None = None) -> bool:
        return self.done.wait(timeout)


# -- detached: `python -m jupyter_flow.experiments.scheduler NAME -j N` ---------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m jupyter_flow.experiments.scheduler")
    ap.add_argument("experiment")
    ap.add_argument("-j", "--parallelism", type=int, default=2)
    a = ap.parse_args(argv)
    from ..store import open_store
    store = open_store()
    names = [r.name for r in store.list_runs(experiment=a.experiment, oldest_first=True) if r.phase == "Pending"]
    store.set_owner(names, os.getpid())   # this process owns them now: if it dies, readers mark them Error
    sched = Scheduler(names, store, parallelism=a.parallelism).start()
    sched.join()
    store.sync()
    return 1 if sched.error else 0


def start_detached(experiment: str, store, parallelism: int) -> int:
    """The scheduler in a process of its own (the CLI's sweep without --wait); returns its pid."""
    import subprocess
    from ..store.paths import opener, private_dir
    # private whatever the home is (JUPYTER_FLOW_HOME may be a shared directory): the log shows
    # the runs' names and parameters as runs/ does
    log = private_dir(store.home / "experiments") / f"{experiment}.log"
    env = dict(os.environ, JUPYTER_FLOW_HOME=str(store.home))
    with open(log, "ab", opener=opener) as out:
        proc = subprocess.Popen([sys.executable, "-m", "jupyter_flow.experiments.scheduler", experiment,
                                 "-j", str(int(parallelism))], stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                env=env, start_new_session=True, close_fds=True)
    # the scheduler owns the Pending runs from now on (it says so again once started)
    store.set_owner([r.name for r in store.list_runs(experiment=experiment) if r.phase == "Pending"], proc.pid)
    return proc.pid


if __name__ == "__main__":
    sys.exit(main())
