"""Private filesystem views for leaf steps, built with bubblewrap (``bwrap``).

Why: Argo runs every step in its own pod, so upstream examples freely write fixed paths
(four parallel steps each write ``/tmp/num``; others write ``/mnt/out/hello.txt``,
``/work/out.txt``, ``/my-artifact``...). Run as plain host processes they would collide with
each other and litter the host. Each step therefore gets a private ``/tmp`` and private
directories at its declared paths, while the rest of the host filesystem stays visible
(steps use host tools: ``python``, ``sh``, ``cowsay``...).

Technique ("merged tree"): a per-step host directory ``root/fs`` is bind-mounted as the
sandbox's ``/``. Every directory of the sandbox is one of

* **merged** -- a real directory in ``root/fs`` into which each *host* child is bind-mounted
  (symlinks are copied as symlinks) except the children listed below. ``/`` is always merged,
  and so is every ancestor of a private path. New names written there land in ``root/fs``;
  existing host children are the host's own (read-write).
* **private** -- a real directory in ``root/fs`` with no host content (``/tmp`` always;
  ``/mnt/out`` for ``/mnt/out/hello.txt``; a missing ``workingDir``).
* **leaf** -- a name that is *not* bound from the host inside a merged directory, so whatever the
  step (or the engine, through :meth:`SandboxPlan.host_path`) creates there -- file or
  directory -- lives in ``root/fs``. Used when the containing directory exists on the host and
  is not empty (``/work/foo`` keeps ``/work/main`` reachable; only ``foo`` is private) and for
  top-level paths such as ``/result.txt``.

Because mount points are only ever created inside ``root/fs`` (which is bwrap's new root),
nothing is created on the host outside ``root`` -- no ``/mnt/out`` or ``/work/x`` appears on the
host. No overlayfs and no user namespace are needed (bwrap runs as root here).

Processes get new PID, IPC and UTS namespaces (and a network namespace with only loopback when
``network=False``), ``--die-with-parent`` and no new session: killing the wrapper's process group
with SIGKILL reaches bwrap and the payload directly, and bwrap's death tears the PID namespace
down, which kills even payload children that called ``setsid``.

Cost and limits (measured here, medians of 50): a wrapped ``true`` takes ~10-11 ms instead of
~1-1.5 ms, plus ~2.5-3 ms for :func:`plan` (one bind mount per host entry of ``/``). Merging a
directory costs one bind per host entry and bwrap re-reads the mount table per bind, so a
declared path inside a huge host directory is slow (``/usr/bin/x``: ~1000 binds, ~1.5 s).
Host entries are enumerated at plan time: names created on the host later are not visible in
merged directories. Writes to *existing* host files outside private areas reach the host, as
with any bind mount. Debian's bwrap 0.8 has no overlayfs options, so they are not used.

When no sandbox is available (``JUPYTER_FLOW_SANDBOX=off`` or bwrap missing/unusable) the plan
is the identity: argv unchanged and ``host_path(p) == Path(p)``; :func:`warn_once` says that
parallel steps then share ``/tmp``.
"""
from __future__ import annotations

import os
import posixpath
import shutil
import stat
import subprocess
import sys
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from jupyter_flow.errors import JupyterFlowError
from jupyter_flow.executors.stepfs import resolve_under

__all__ = [
    "SandboxPlan",
    "SandboxUnavailable",
    "available",
    "plan",
    "warn_once",
]

ENV_VAR = "JUPYTER_FLOW_SANDBOX"

_MERGED = "merged"
_PRIVATE = "private"
_LEAF = "leaf"

# Namespaces that never break host tools. No user namespace: as root it would only remap
# file ownership (everything not owned by root would show as nobody).
_NS_FLAGS = ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]


class SandboxUnavailable(JupyterFlowError):
    """``JUPYTER_FLOW_SANDBOX=bwrap`` was requested but bwrap cannot run here."""


# --------------------------------------------------------------------------- availability

_avail_lock = threading.Lock()
_avail_cache: dict[tuple[str, str | None], str | None] = {}
_avail_reason: dict[tuple[str, str | None], str] = {}


def _probe_bwrap(exe: str) -> str | None:
    """Run the cheapest command using every feature plan() relies on; return an error or None.

    Why: having the binary is not enough (e.g. an unprivileged container refuses mounts), and
    we would rather fall back once, with a warning, than fail every step.
    """
    cmd = [exe, "--bind", "/", "/", *_NS_FLAGS, "--unshare-net", "--die-with-parent",
           "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "true"]
    try:
        res = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, timeout=20)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{exe} could not be run: {exc}"
    if res.returncode != 0:
        return f"{exe} probe failed (exit {res.returncode}): {res.stderr.decode(errors='replace').strip()}"
    return None


def available() -> str | None:
    """Return ``"bwrap"`` if steps can be sandboxed, else ``None``.

    The answer is cached per value of ``$JUPYTER_FLOW_SANDBOX`` (``off`` disables,
    ``bwrap`` requires it and raises :class:`SandboxUnavailable` when it does not work;
    anything else, e.g. unset or ``auto``, means "use bwrap if it works").
    """
    mode = os.environ.get(ENV_VAR, "auto").strip().lower() or "auto"
    if mode in ("off", "none", "0", "false", "no"):
        return None
    exe = shutil.which("bwrap")
    key = (mode, exe)
    with _avail_lock:
        if key not in _avail_cache:
            if exe is None:
                _avail_reason[key] = "bwrap is not installed (apt-get install bubblewrap)"
                _avail_cache[key] = None
            else:
                err = _probe_bwrap(exe)
                _avail_cache[key] = None if err else "bwrap"
                if err:
                    _avail_reason[key] = err
        result = _avail_cache[key]
    if result is None and mode == "bwrap":
        raise SandboxUnavailable(f"{ENV_VAR}=bwrap but {_avail_reason.get(key, 'bwrap is unusable')}")
    return result


def _reset_cache() -> None:
    """Forget cached availability and the warn-once flag (tests flip the env var)."""
    global _warned
    with _avail_lock:
        _avail_cache.clear()
        _avail_reason.clear()
    _warned = False


_warned = False
_warn_lock = threading.Lock()


def warn_once() -> None:
    """Warn (once per process) that steps run unsandboxed.

    Why: without a sandbox, parallel steps writing the same fixed path (``/tmp/num``) overwrite
    each other and outputs at paths like ``/mnt/out`` are written on the host itself.
    """
    global _warned
    with _warn_lock:
        if _warned:
            return
        _warned = True
    mode = os.environ.get(ENV_VAR, "")
    why = f"{ENV_VAR}={mode}" if mode.strip().lower() in ("off", "none", "0", "false", "no") \
        else "bubblewrap (bwrap) is not available"
    warnings.warn(
        f"jupyter-flow steps run without a sandbox ({why}): parallel steps share /tmp and "
        "write declared paths (e.g. /mnt/out, /work) directly on the host, so steps writing "
        "the same fixed path can overwrite each other. Install bubblewrap to isolate them.",
        RuntimeWarning,
        stacklevel=2,
    )


# --------------------------------------------------------------------------- layout


def _norm(path: str) -> str:
    """Normalise an absolute sandbox path (``//a/./b/`` -> ``/a/b``); reject relative ones."""
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValueError(f"sandbox paths must be absolute, got {path!r}")
    p = posixpath.normpath(path)
    return "/" if p in ("/", "//") else p


def _ancestors(path: str) -> list[str]:
    """Proper ancestors of ``path``, outermost first, starting with ``/``."""
    out = ["/"]
    parts = path.strip("/").split("/")[:-1]
    cur = ""
    for comp in parts:
        cur += "/" + comp
        out.append(cur)
    return out if path != "/" else []


def _host_nonempty_dir(path: str) -> bool:
    try:
        with os.scandir(path) as it:
            return next(it, None) is not None
    except OSError:
        return False


def _is_real_dir(path: str) -> bool:
    return os.path.isdir(path) and not os.path.islink(path)


class _Layout:
    """Which sandbox directories are merged / private / leaf (see module docstring)."""

    def __init__(self, protected: Iterable[str]):
        self.kind: dict[str, str] = {"/": _MERGED}
        # Host paths a private directory must not swallow (the plan root, the interpreter).
        self.protected = [p for p in {posixpath.normpath(x) for x in protected} if p != "/"]

    # -- queries
    def state(self, path: str) -> str:
        """Classify ``path`` in the sandbox view.

        ``merged``: real dir in root/fs with host children; ``private``: inside a private dir
        or a leaf (or is one); ``host``: reached through a host bind mount; ``absent``: a name
        that neither the host nor the layout has, i.e. it would be created in root/fs.
        """
        if path == "/":
            return _MERGED
        cur = "/"
        for comp in path.strip("/").split("/"):
            nxt = posixpath.join(cur, comp)
            k = self.kind.get(nxt)
            if k in (_PRIVATE, _LEAF):
                return _PRIVATE
            if k == _MERGED:
                cur = nxt
                continue
            return "host" if os.path.lexists(nxt) else "absent"
        return _MERGED

    def canon(self, path: str) -> str:
        """Resolve host symlinks on the host-bound part of ``path``.

        Why: ``/var/run/x`` must be handled as ``/run/x`` (``/var/run`` is a host symlink that
        stays a symlink in the sandbox); making ``/var/run`` a real directory would break it.
        """
        path = _norm(path)
        for _ in range(40):
            parts = path.strip("/").split("/") if path != "/" else []
            cur = "/"
            for i, comp in enumerate(parts):
                nxt = posixpath.join(cur, comp)
                k = self.kind.get(nxt)
                if k in (_PRIVATE, _LEAF):
                    return path
                if k is None:
                    if os.path.islink(nxt):
                        target = os.path.realpath(nxt)
                        path = _norm(posixpath.join(target, *parts[i + 1:]))
                        break
                    if not os.path.exists(nxt):
                        return path
                cur = nxt
            else:
                return path
        return path

    # -- mutations
    def _merge_ancestors(self, path: str) -> None:
        for a in _ancestors(path):
            if self.kind.get(a) is None:
                self.kind[a] = _MERGED

    def _protects(self, path: str) -> bool:
        prefix = path.rstrip("/") + "/"
        return any(p == path or p.startswith(prefix) for p in self.protected)

    def make_private(self, path: str) -> None:
        """Give ``path`` an empty private directory (merged instead if it holds a protected path)."""
        if self.state(path) == _PRIVATE:
            return
        if _is_real_dir(path) and _host_nonempty_dir(path) and self._protects(path):
            self.make_merged(path)
            return
        self._merge_ancestors(path)
        self.kind[path] = _PRIVATE

    def make_merged(self, path: str) -> None:
        if self.state(path) == _PRIVATE:
            return
        self._merge_ancestors(path)
        self.kind.setdefault(path, _MERGED)

    def make_leaf(self, path: str) -> None:
        if self.state(path) == _PRIVATE:
            return
        self._merge_ancestors(path)
        if self.kind.get(path) is None:
            self.kind[path] = _LEAF

    def declare(self, path: str) -> None:
        """Apply the rule for a declared artifact/volume path ``path``."""
        path = self.canon(path)
        if path == "/" or self.state(path) == _PRIVATE:
            return  # already inside a private directory: adds nothing
        parent = posixpath.dirname(path)
        if parent == "/":
            # Top-level names: a host directory with content (/work) is merged so the project
            # checkout stays reachable; an empty one is private; anything else (/result.txt,
            # /my-artifact) is a leaf -- the step decides whether it is a file or a directory.
            if _is_real_dir(path):
                (self.make_merged if _host_nonempty_dir(path) else self.make_private)(path)
            else:
                self.make_leaf(path)
            return
        parent_state = self.state(parent)
        if parent_state == _PRIVATE:
            return
        host_has_content = parent_state in ("host", _MERGED) and _is_real_dir(parent) \
            and _host_nonempty_dir(parent)
        if host_has_content and parent != "/tmp":
            self.make_merged(parent)
            if _is_real_dir(path):
                self.make_private(path)  # e.g. a volume mounted over an existing directory
            else:
                self.make_leaf(path)
        else:
            self.make_private(parent)


# --------------------------------------------------------------------------- plan


@dataclass
class SandboxPlan:
    """How to start one step: the (possibly wrapped) argv, its cwd and where its files live.

    ``root`` is the host directory that holds the step's private directories (``root/fs`` is
    the sandbox's ``/``). Use :meth:`host_path` to place input files before start and to read
    outputs after exit; call :meth:`remove_mountpoints` after exit to drop the empty
    mount-point stubs bwrap needed (so a merged directory collected as an artifact only holds
    what the step wrote).
    """

    argv: list[str]
    cwd: str | None
    root: Path
    sandboxed: bool = False
    shared: list[str] = field(default_factory=list)   # host dirs under /tmp kept visible (bound as is)
    bound: dict[str, str] = field(default_factory=dict)   # volume mount path -> the host directory bound there
    _layout: _Layout | None = field(default=None, repr=False, compare=False)
    _stubs: list[Path] = field(default_factory=list, repr=False, compare=False)
    # the stubs (and the directories made above them) of the host directories shared under /tmp
    _placeholders: list[Path] = field(default_factory=list, repr=False, compare=False)

    @property
    def fs(self) -> Path:
        """Host directory that is the sandbox's ``/``."""
        return self.root / "fs"

    def host_path(self, path: str) -> Path:
        """Host location of the sandbox's absolute ``path``.

        Inside private/merged areas this is ``root/fs/<path>``; paths reached through a host
        bind mount (e.g. ``/usr/bin/env``) map to themselves. Without a sandbox: ``Path(path)``.
        """
        if self._layout is None:
            return Path(path)
        layout = self._layout
        p = layout.canon(path)
        for mount, src in sorted(self.bound.items(), key=lambda kv: -len(kv[0])):
            if p == mount or p.startswith(mount + "/"):   # inside a claim or allowed hostPath volume
                return resolve_under(Path(src), p[len(mount):] or "/")
        if layout.state(p) == "host" or any(p == s or p.startswith(s + "/") for s in self.shared):
            return Path(p)
        # the step's own files: symlinks it made are followed inside root/fs, never out of it
        return resolve_under(self.fs, p)

    def remove_placeholders(self, within: Iterable[str]) -> None:
        """Delete the empty placeholders of the host directories shared under ``/tmp`` (the cwd,
        the interpreter, ``PYTHONPATH`` entries) that lie at or below the sandbox paths ``within``
        (the step's output artifacts), so an artifact of ``/tmp`` holds what the step wrote and
        no ``a/b/venv`` of empty directories. Only after the step exited. (Stubs of a merged
        directory, e.g. ``/etc``'s entries, stay: they stand for what the step saw there.)"""
        self.remove_mountpoints(within, only=self._placeholders)

    def remove_mountpoints(self, within: Iterable[str] | None = None, only: list[Path] | None = None) -> None:
        """Delete the empty stub files/directories/symlinks created as bwrap mount points.

        Only call after the sandboxed process exited (they are busy while it runs). Stubs
        the step changed (non-empty) are left alone. ``within``: only the stubs at or below
        these sandbox paths (a ``rmdir`` can take milliseconds on a busy disk, so the others
        are left for the run's deletion); ``only``: among these stubs.
        """
        stubs = self._stubs if only is None else [s for s in only if s in set(self._stubs)]
        if within is not None:
            tops = [str(self.fs / self._layout.canon(p).lstrip("/")) if self._layout else p for p in within]
            stubs = [s for s in stubs if any(str(s) == t or str(s).startswith(t.rstrip("/") + "/") for t in tops)]
            if not stubs:
                return
        for stub in reversed(stubs):
            try:
                if stub.is_symlink() or (stub.is_file() and stub.stat().st_size == 0):
                    stub.unlink()
                elif stub.is_dir():
                    stub.rmdir()
            except OSError:
                pass
        gone = set(stubs)
        self._stubs = [s for s in self._stubs if s not in gone]
        self._placeholders = [s for s in self._placeholders if s not in gone]


def _protected_paths(root: Path) -> list[str]:
    """Host paths a private directory must never hide: the plan root and the interpreter."""
    paths = {str(root), sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    return [os.path.realpath(p) for p in paths if p]


def _shared_under_tmp(root: Path) -> list[str]:
    """Host directories under /tmp that steps must still see: the cwd, the package, the interpreter,
    and ``PYTHONPATH``'s entries (steps inherit it: a Hera runner step imports the user's module
    from there, sandboxed or not)."""
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    candidates = {os.getcwd(), here, sys.prefix, os.path.dirname(os.path.realpath(sys.executable)),
                  *os.environ.get("PYTHONPATH", "").split(os.pathsep)}
    out = []
    root_real = os.path.realpath(root)
    for path in sorted(os.path.realpath(c) for c in candidates if c):
        if not path.startswith("/tmp/") or not os.path.isdir(path):
            continue
        if root_real.startswith(path + "/") or path.startswith(root_real):
            continue   # never bind a directory that holds the step's own root (or lies in it)
        if any(path.startswith(o + "/") for o in out):
            continue
        out.append(path)
    return out


def _make_stub(stub: Path, like: str, created: list[Path]) -> None:
    """Create a mount point at ``stub`` of the same type (dir or file) as host path ``like``.

    Every directory made on the way is recorded too (outermost first), so that
    :meth:`SandboxPlan.remove_mountpoints` leaves no empty placeholder behind: a host directory
    shared under ``/tmp`` (``/tmp/a/b/venv``) must not show up as ``a/b/venv`` in the step's
    ``/tmp`` collected as an output artifact."""
    if stub.is_symlink():
        stub.unlink()
    if os.path.isdir(like):
        if not stub.is_dir():
            _make_parents(stub, created)
            stub.mkdir(exist_ok=True)
            created.append(stub)
    elif not stub.exists():
        _make_parents(stub, created)
        stub.touch()
        created.append(stub)


def _make_parents(stub: Path, created: list[Path]) -> None:
    missing = []
    parent = stub.parent
    while not parent.is_dir():
        missing.append(parent)
        parent = parent.parent
    for d in reversed(missing):
        d.mkdir(exist_ok=True)
        created.append(d)


def plan(
    argv: list[str],
    *,
    root: Path,
    private_paths: Iterable[str] = (),
    working_dir: str | None = None,
    extra_binds: Iterable[tuple[str, str]] = (),
    network: bool = True,
    mounts: Iterable[str] = (),
    sources: dict[str, tuple[str, bool]] | None = None,
) -> SandboxPlan:
    """Plan how to run ``argv`` with a private ``/tmp`` and private ``private_paths``.

    * ``private_paths``: absolute paths the step declares (output/input artifacts, volume
      mounts). The directory containing each one becomes private (its parent; for top-level
      names the name itself). If that directory exists on the host and is not empty it stays
      visible and only the declared name is private.
    * ``working_dir``: used as the cwd; if it does not exist on the host it becomes private
      (created under ``root``), so nothing is created on the host.
    * ``extra_binds``: ``(host_src, sandbox_dst)`` pairs mounted read-only (e.g. the directory
      holding a generated script).
    * ``network``: ``False`` gives the step a network namespace with only loopback.
    * ``mounts``: declared paths that are volumes (``volumeMounts``): their private directory is
      bind-mounted onto itself so it is a real mount point (listed in ``/proc/mounts``), as a
      pod's emptyDir is.
    * ``sources``: for some of ``mounts``, the host directory bound there instead and whether
      read-only (a volume claim shared by the run's steps, an allowed hostPath: engine/volumes.py).

    Host directories are created under ``root`` right away. Without a sandbox (see
    :func:`available`) argv is returned unchanged.
    """
    root = Path(os.path.abspath(root))
    argv = list(argv)
    private_paths = list(private_paths)
    extra_binds = list(extra_binds)
    if available() is None:
        warn_once()
        cwd = None
        if working_dir:
            # Argo's runtime creates a missing workingDir; do the same so the step can start.
            try:
                os.makedirs(working_dir, exist_ok=True)
            except OSError:
                pass
            cwd = working_dir
        return SandboxPlan(argv=argv, cwd=cwd, root=root, sandboxed=False)

    exe = shutil.which("bwrap") or "bwrap"
    layout = _Layout(_protected_paths(root))
    # /tmp is private even when it holds the root or the interpreter: shared scratch space is
    # exactly what parallel steps must not have.
    layout.kind["/tmp"] = _PRIVATE
    for p in private_paths:
        layout.declare(p)

    chdir: str | None = None
    if working_dir:
        wd = layout.canon(working_dir)
        st = layout.state(wd)
        if st == "absent" or (st == "host" and not os.path.isdir(wd)):
            layout.make_private(wd)
        chdir = wd

    binds: list[tuple[str, str]] = []
    for src, dst in extra_binds:
        src = os.path.abspath(src)
        dst = layout.canon(dst)
        st = layout.state(dst)
        if st == "host" and not os.path.lexists(dst):
            # Its mount point would be created on the host: make the parent a real directory
            # in root/fs first (merged keeps the host's content visible).
            parent = posixpath.dirname(dst)
            if _is_real_dir(parent):
                layout.make_merged(parent)
            else:
                layout.make_private(parent)
        binds.append((src, dst))

    fs = root / "fs"
    fs.mkdir(parents=True, exist_ok=True)
    stubs: list[Path] = []
    args: list[str] = [exe, "--bind", str(fs), "/", *_NS_FLAGS]
    if not network:
        args.append("--unshare-net")
    args.append("--die-with-parent")

    for path, kind in sorted(layout.kind.items(), key=lambda kv: (kv[0].count("/"), kv[0])):
        target = fs / path.lstrip("/") if path != "/" else fs
        if kind == _LEAF:
            continue
        target.mkdir(parents=True, exist_ok=True)
        if path == "/tmp":
            os.chmod(target, 0o1777)
        if kind != _MERGED or not _is_real_dir(path):
            continue
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            child = posixpath.join(path, entry.name)
            if child in layout.kind:
                continue
            if path == "/" and entry.name in ("proc", "dev"):
                continue
            stub = target / entry.name
            if entry.is_symlink():
                link = os.readlink(child)
                if not (stub.is_symlink() and os.readlink(stub) == link):
                    if stub.is_symlink() or stub.is_file():
                        stub.unlink()
                    elif stub.is_dir():
                        try:
                            stub.rmdir()
                        except OSError:
                            continue
                    os.symlink(link, stub)
                    stubs.append(stub)
                continue
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError:
                continue
            _make_stub(stub, child, stubs)
            flag = "--bind" if stat.S_ISDIR(mode) or stat.S_ISREG(mode) else "--dev-bind"
            args += [flag, child, child]

    for special, opt in (("proc", "--proc"), ("dev", "--dev")):
        if not (fs / special).is_dir():
            (fs / special).mkdir()
            stubs.append(fs / special)
        args += [opt, "/" + special]

    # The user's project (the engine's working directory) and this package stay reachable even
    # when they live under /tmp, which every step gets privately: steps run `python tool.py`.
    shared_dirs = _shared_under_tmp(root)
    placeholders: list[Path] = []
    for shared in shared_dirs:
        _make_stub(fs / shared.lstrip("/"), shared, placeholders)
        args += ["--bind", shared, shared]
    stubs += placeholders

    bound = {layout.canon(k): v for k, v in (sources or {}).items()}
    volumes: dict[str, str] = {}
    for m in mounts:
        m = layout.canon(m)
        if m == "/" or layout.state(m) == "host":
            continue
        target = fs / m.lstrip("/")
        target.mkdir(parents=True, exist_ok=True)
        src, read_only = bound.get(m) or (str(target), False)
        args += ["--ro-bind" if read_only else "--bind", src, m]
        if m in bound:
            volumes[m] = src

    for src, dst in binds:
        if layout.state(dst) != "host":
            _make_stub(fs / dst.lstrip("/"), src, stubs)
        args += ["--ro-bind", src, dst]

    if chdir:
        if layout.state(chdir) != "host":
            (fs / chdir.lstrip("/")).mkdir(parents=True, exist_ok=True)
        args += ["--chdir", chdir]
    else:
        # Argo's default is the image's WORKDIR (``/``): without this bwrap keeps the engine's
        # cwd, and the step would write its relative files into the submitter's project
        args += ["--chdir", "/"]
    args.append("--")
    args += argv
    return SandboxPlan(argv=args, cwd=None, root=root, sandboxed=True, _layout=layout, _stubs=stubs,
                       shared=shared_dirs, bound=volumes, _placeholders=placeholders)
