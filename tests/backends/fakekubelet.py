"""TEST DOUBLE for a kubelet: runs the ``main`` container of each Pod created in ``FakeKube`` as a local process.

Not a container runtime. The image is ignored (``busybox`` means this machine's ``sh``/``echo``);
the container's ``command + args``, ``env`` and ``workingDir`` run under bubblewrap with a private
``/tmp``, ``hostPath`` volumes bound at their ``mountPath`` (under ``/tmp``: the rest of the root
is read-only), ``emptyDir`` volumes as a directory the pod's containers share (``subPath`` too),
init containers run in order before main, and a real file bound at ``/dev/termination-log``, so the wrapper the kubernetes backend
puts around steps with output parameters is executed for real. The double reports what a kubelet
reports through the API: ``Running``, then ``Succeeded``/``Failed`` with the container's
``terminated`` state (exit code, reason, termination message, at most 4096 bytes as Kubernetes
keeps; sidecars are not run and keep the pod ``Running`` after main ends, as a server sidecar
would), and appends stdout+stderr to the pod's log as it is written (``log?follow=true`` streams
it). Deleting the pod kills the process, as a zero-grace delete does; ``activeDeadlineSeconds`` kills
it too and fails the pod with reason ``DeadlineExceeded``.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading

BWRAP = shutil.which("bwrap")
POD_IP = "10.244.0.7"   # the podIP this double reports for a running pod


class ProcessKubelet:
    def __init__(self):
        self.procs: dict[tuple, subprocess.Popen] = {}
        self.deleted: set[tuple] = set()
        self.expired: set[tuple] = set()   # pods killed for their activeDeadlineSeconds
        self.started: list[dict] = []   # every pod this kubelet ran, as created

    def start(self, fake, key, pod) -> None:
        self.started.append(pod)
        self.deleted.discard(key)   # a new pod under an old name (a retried node)
        threading.Thread(target=self._run, args=(fake, key, pod), daemon=True).start()

    def delete(self, key) -> None:
        self.deleted.add(key)
        proc = self.procs.get(key)
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    @staticmethod
    def _env(container, name) -> dict:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOSTNAME": name}
        env.update({e["name"]: str(e.get("value", "")) for e in container.get("env") or [] if "valueFrom" not in e})
        return env

    @staticmethod
    def _sandbox(pod, container, tmp, term, argv) -> list[str]:
        """bwrap around ``argv``: hostPath binds, emptyDir as a directory shared by the pod's containers."""
        volumes = {v["name"]: v for v in pod["spec"].get("volumes") or []}
        mounts = []
        for m in container.get("volumeMounts") or []:
            v = volumes.get(m["name"]) or {}
            if "hostPath" in v:
                src = v["hostPath"]["path"]
            elif "emptyDir" in v:
                src = os.path.join(tmp, "volumes", m["name"])
                os.makedirs(src, exist_ok=True)
            else:
                continue
            if m.get("subPath"):
                src = os.path.join(src, m["subPath"])
            mounts += ["--bind", src, m["mountPath"]]
        return [BWRAP, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
                *mounts, "--bind", term, "/dev/termination-log", "--unshare-pid", "--die-with-parent",
                "--chdir", container.get("workingDir") or "/", "--"] + argv

    def _deadline(self, key) -> None:
        self.expired.add(key)
        proc = self.procs.get(key)
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)

    def _status(self, fake, key, status) -> bool:
        with fake.lock:
            if key not in fake.objects:
                return False
            fake.objects[key]["status"] = status
            fake._bump(fake.objects[key])
            return True

    def _run(self, fake, key, pod) -> None:
        name = key[2]
        main = next(c for c in pod["spec"]["containers"] if c["name"] == "main")
        argv = list(main.get("command") or []) + list(main.get("args") or [])
        if not argv or not BWRAP:   # an image's default entrypoint is not known to this double
            self._status(fake, key, {"phase": "Failed", "containerStatuses": [{"name": "main", "state": {
                "terminated": {"exitCode": 128, "reason": "StartError",
                "message": "no command, or no bwrap to isolate it (test double)"}}}]})
            return
        with tempfile.TemporaryDirectory(prefix="fakekubelet-") as tmp:
            term = os.path.join(tmp, "termination-log")
            open(term, "w").close()
            for init in pod["spec"].get("initContainers") or []:   # in order, each to completion
                cmd = list(init.get("command") or []) + list(init.get("args") or [])
                iargv = self._sandbox(pod, init, tmp, term, cmd)
                done = subprocess.run(iargv, env=self._env(init, name), stdin=subprocess.DEVNULL,
                                      capture_output=True, timeout=60)
                if done.returncode:
                    self._status(fake, key, {"phase": "Failed", "initContainerStatuses": [
                        {"name": init["name"], "state": {"terminated": {"exitCode": done.returncode,
                                                                         "reason": "Error"}}}]})
                    return
            env = self._env(main, name)
            argv = self._sandbox(pod, main, tmp, term, argv)
            try:
                proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
            except OSError as exc:
                self._status(fake, key, {"phase": "Failed", "containerStatuses": [{"name": "main", "state": {
                    "terminated": {"exitCode": 128, "reason": "StartError", "message": str(exc)}}}]})
                return
            self.procs[key] = proc
            # ready at once: this double runs no probes (a real kubelet reports ready once they pass)
            self._status(fake, key, {"phase": "Running", "hostIP": "127.0.0.1", "podIP": POD_IP, "containerStatuses": [
                {"name": "main", "ready": True, "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]})
            deadline = pod["spec"].get("activeDeadlineSeconds")
            timer = threading.Timer(deadline, self._deadline, (key,)) if deadline else None
            if timer:
                timer.start()
            for chunk in iter(lambda: proc.stdout.read1(65536), b""):
                fake.append_log(name, chunk.decode(errors="replace"))
            rc = proc.wait()
            if timer:
                timer.cancel()
            if key in self.deleted:
                return
            if key in self.expired:   # what a kubelet reports for activeDeadlineSeconds
                self._status(fake, key, {"phase": "Failed", "reason": "DeadlineExceeded", "hostIP": "127.0.0.1",
                                         "message": "Pod was active on the node longer than the specified deadline",
                                         "containerStatuses": [{"name": "main", "state": {"terminated": {
                                             "exitCode": 137, "reason": "Error"}}}]})
                return
            with open(term, errors="replace") as f:
                message = f.read(4096)
        main_status = {"name": "main", "state": {"terminated": {
            "exitCode": rc, "reason": "Completed" if rc == 0 else "Error", "message": message}}}
        sidecars = [c["name"] for c in pod["spec"]["containers"] if c["name"] != "main"]
        if sidecars:   # not run by this double; like a server sidecar, they keep the pod Running
            self._status(fake, key, {"phase": "Running", "hostIP": "127.0.0.1", "containerStatuses": [main_status] + [
                {"name": n, "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}} for n in sidecars]})
            return
        self._status(fake, key, {"phase": "Succeeded" if rc == 0 else "Failed", "hostIP": "127.0.0.1",
                                 "containerStatuses": [main_status]})
