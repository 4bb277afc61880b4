"""Content-addressed step cache and edit-and-continue (issue 19), beside Argo's ``memoize``.

A leaf step's key is a sha256 over a canonical JSON of what decides its result: the resolved
container/script (image, command, args, source, env, working dir, declared outputs), the
definitions of the volumes it mounts, its input parameter values, the content digests of its
input artifacts, the backend and ``FORMAT``. Every succeeded or failed leaf of a run with a store
is recorded in the store's ``stepcache`` table (so any run can be continued from, and ``cache
explain`` can diff); only succeeded ones are ever reused. With the cache on, a succeeded step's
artifacts and log are also linked into ``$JUPYTER_FLOW_HOME/cache/<key>/`` (``shared``), so
deleting its run does not break a hit.

A hit sets the node Succeeded with the entry's outputs, artifacts and log and
``memoizationStatus: {hit: true, key, cacheName: "jupyter-flow"}``; no process starts. A
template with ``memoize`` keeps Argo's semantics (engine/memo.py) and is never content-cached;
one annotated ``jupyter-flow.io/cache: "false"`` opts out.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..store.paths import component, inside, make_dirs
from .nodes import SUCCEEDED, Node

if TYPE_CHECKING:
    from .call import Call

FORMAT = 1
CACHE_NAME = "jupyter-flow"
ANNOTATION = "jupyter-flow.io/cache"
CONTINUE_ANNOTATION = "jupyter-flow.io/continue-from"
_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False).encode
# (path, size, mtime_ns) -> sha256 of a stored artifact file: each file is read once per process
_digests: dict[tuple[str, int, int], str] = {}
_DIGESTS_MAX = 100_000


def settings(workflow: dict) -> tuple[bool, str]:
    """(cache on, run to continue from) of a run: its annotations, else ``cache:`` in config.yaml."""
    ann = (workflow.get("metadata") or {}).get("annotations") or {}
    on = str(ann.get(ANNOTATION, "")).lower()
    if on in ("true", "false"):
        enabled = on == "true"
    else:
        from ..config import load_config
        enabled = load_config().get("cache") is True
    return enabled, str(ann.get(CONTINUE_ANNOTATION) or "")


def opted_out(tmpl: dict) -> bool:
    """``memoize`` (Argo's own cache decides) or ``jupyter-flow.io/cache: "false"`` on the template."""
    if tmpl.get("memoize") or tmpl.get("daemon") or tmpl.get("sidecars"):
        return True
    ann = (tmpl.get("metadata") or {}).get("annotations") or {}
    return str(ann.get(ANNOTATION, "")).lower() == "false"


def file_digest(path: Path) -> str:
    st = path.stat()
    k = (str(path), st.st_size, st.st_mtime_ns)
    d = _digests.get(k)
    if d is None:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        if len(_digests) >= _DIGESTS_MAX:
            _digests.clear()
        d = _digests[k] = h.hexdigest()
    return d


def tree_digest(path: Path) -> str:
    """A file's digest, or a directory's: its relative names, link targets and file digests."""
    if path.is_symlink():
        return "link:" + os.readlink(path)
    if not path.is_dir():
        return file_digest(path)
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")):
        rel = str(p.relative_to(path))
        if p.is_symlink():
            h.update(f"L{rel}\0{os.readlink(p)}\0".encode())
        elif p.is_file():
            h.update(f"F{rel}\0{file_digest(p)}\0".encode())
        else:
            h.update(f"D{rel}\0".encode())
    return "tree:" + h.hexdigest()


def material(call: "Call", node: Node, tmpl: dict, local: dict, later: dict | None = None) -> dict | None:
    """The canonical inputs of a step's key, or None when its result cannot be keyed (an input
    artifact fetched from a URL or a repository: its content is not known before it runs).
    ``later``: stored input artifacts are not hashed here but listed in it (name -> path) for
    the caller to hash off the engine loop (``digest_into``)."""
    ctl = call.ctl
    container = dict(tmpl.get("container") or tmpl.get("script") or {})
    mounted = {m.get("name") for m in container.get("volumeMounts") or [] if isinstance(m, dict)}
    spec = ctl.spec
    volumes = {v.get("name"): v for v in (spec.get("volumes") or []) + (tmpl.get("volumes") or [])
               if isinstance(v, dict) and v.get("name") in mounted}
    for claim in spec.get("volumeClaimTemplates") or []:
        name = ((claim or {}).get("metadata") or {}).get("name")
        if name in mounted:
            volumes[name] = {"claim": claim}
    params = {p.get("name"): p.get("value") for p in (node.inputs or {}).get("parameters") or []}
    arts: dict[str, str] = {}
    from .pods import resolve_input_artifact
    from .artifacts import ArtifactError
    for art in (node.inputs or {}).get("artifacts") or []:
        try:
            resolved = resolve_input_artifact(ctl, art, local)
        except ArtifactError:   # the step itself reports it, as without the cache
            return None
        name = str(art.get("name"))
        if resolved is None:
            arts[name] = "none"
        elif "raw" in resolved:
            data = str((resolved.get("raw") or {}).get("data", ""))
            arts[name] = "raw:" + hashlib.sha256(data.encode()).hexdigest()
        elif "local" in resolved:
            src = ctl.artifact_root / str((resolved.get("local") or {}).get("key") or "")
            if src == ctl.artifact_root or not inside(ctl.artifact_root, src) or not src.exists():
                return None
            if later is None:
                arts[name] = tree_digest(src)
            else:
                later[name] = src
        else:
            return None
    mat = {"v": FORMAT, "backend": type(ctl.executor).__module__.rsplit(".", 1)[-1],
            "kind": "script" if "script" in tmpl else "container", "container": container,
            "outputs": tmpl.get("outputs") or {}, "volumes": volumes, "parameters": params, "artifacts": arts,
            # for explain only (not in the key): a source that differs just by its inputs' values
            "_raw": (call.tmpl.get("script") or {}).get("source")}
    if tmpl.get("initContainers"):   # they run first, in the same pod: part of what it computes
        mat["init"] = tmpl["initContainers"]
    return mat


def key_of(mat: dict) -> str:
    """sha256 of the canonical JSON of ``mat`` without its ``_`` fields (kept for explain)."""
    if "_raw" in mat:
        mat = {k: v for k, v in mat.items() if k[0] != "_"}
    return hashlib.sha256(_dumps(mat).encode()).hexdigest()


def identity(ctl, call: "Call") -> str:
    """``workflow/template``: what ``explain`` compares across runs (generateName without its dash)."""
    meta = ctl.workflow.get("metadata") or {}
    wf = (meta.get("generateName") or "").rstrip("-") or meta.get("name", "")
    tref = call.tref or {}
    tname = f"{tref.get('name')}/{tref.get('template')}" if tref.get("template") else call.tmpl_name
    return f"{wf}/{tname}"


# key -> (event, controller) of a step with that key running in this process with the cache on:
# another run's step of the same key (a sweep's shared data preparation) waits for it, then hits
_inflight: dict[str, tuple[threading.Event, object]] = {}
_inflight_lock = threading.Lock()


class Probe:
    """One leaf's key, looked up before it starts and recorded once it ends."""

    __slots__ = ("ctl", "node", "key", "mat", "ident", "shared", "owner")

    def __init__(self, ctl, node, key, mat, ident, shared):
        self.ctl, self.node, self.key, self.mat, self.ident, self.shared = ctl, node, key, mat, ident, shared
        self.owner: threading.Event | None = None

    def record(self) -> None:
        """Record the ended node (Succeeded: reusable; otherwise for ``explain`` only)."""
        node, ctl = self.node, self.ctl
        ok = node.phase == SUCCEEDED
        share = self.shared and ok
        row = (self.key, ctl.name, node.id, self.ident, _dumps(self.mat),
               _dumps(node.outputs) if ok and node.outputs else None, int(ok), int(share))
        copy = None
        if share:
            art_dir, log = ctl.artifact_root / component(node.id), ctl.logs_dir / f"{node.id}.log"
            dest = ctl.store.home / "cache" / self.key
            copy = lambda: _fill(dest, art_dir, log)  # noqa: E731 (runs on the store's writer thread)
        ctl.store.stepcache_record_later(row, copy)
        if self.owner is not None:   # set once the row is committed: a waiter's lookup then finds it
            ctl.store.after_writes(_release, self.key, self.owner)


def _release(key: str, event: threading.Event) -> None:
    with _inflight_lock:
        if _inflight.get(key, (None,))[0] is event:
            del _inflight[key]
    event.set()


async def probe(call: "Call", node: Node, tmpl: dict, local: dict) -> "Probe | str | None":
    """The hook before a leaf starts a process: ``HIT`` (the node is done from an entry), a
    ``Probe`` to ``record()`` once it ended, or None (not cacheable)."""
    ctl = call.ctl
    if ctl.store is None or opted_out(call.tmpl):
        return None
    conf = getattr(ctl, "_stepcache", None)
    if conf is None:
        conf = ctl._stepcache = settings(ctl.workflow)
    later: dict[str, Path] = {}
    mat = material(call, node, tmpl, local, later)
    if mat is not None and later:   # hashing a big artifact must not stall the engine loop
        try:
            digests = await asyncio.get_running_loop().run_in_executor(
                None, lambda: {name: tree_digest(path) for name, path in later.items()})
        except OSError:   # it went away meanwhile: the step runs uncached (and fails to load it)
            return None
        mat["artifacts"].update(digests)
    if mat is None:
        return None
    key = key_of(mat)
    p = Probe(ctl, node, key, mat, identity(ctl, call), conf[0])
    while conf[0] or conf[1]:
        for entry in ctl.store.stepcache_find(key, continue_from=conf[1], shared=conf[0]):
            if _reuse(ctl, node, key, entry):
                p.shared = False   # its files are in the cache already (or in the run continued from)
                p.record()
                return HIT
        if not conf[0]:
            break
        with _inflight_lock:
            running = _inflight.get(key)
            if running is None or running[1] is ctl:
                p.owner = threading.Event()
                _inflight[key] = (p.owner, ctl)
                break
        event, other = running
        while not event.is_set() and not other.done.is_set() and not (ctl.shutdown and not call.on_exit):
            await asyncio.sleep(0.02)
        if not event.is_set():
            break
    return p


HIT = "hit"


def _link_or_copy(src: Path, dest: Path) -> None:
    make_dirs(dest.parent)
    if dest.is_symlink() or dest.is_file():
        dest.unlink()
    elif dest.exists():
        shutil.rmtree(dest)

    def link(s, d):
        # never through a symlink: an artifact that is a link to ~/.ssh/id_rsa must stay a link,
        # not become a hard link to (or a copy of) the file it points at
        try:
            os.link(s, d, follow_symlinks=False)
        except OSError:
            shutil.copy2(s, d, follow_symlinks=False)
    if src.is_dir() and not src.is_symlink():
        shutil.copytree(src, dest, symlinks=True, copy_function=link)
    else:
        link(src, dest)


_log_dirs: set[str] = set()   # runs' log directories known to exist (one syscall less per hit)


def _link_log(src: Path, dest: Path) -> None:
    """An entry's log into a run: a hard link (the entry's log is never appended to, nor is a
    reused node's), one syscall when there is none (a step that printed nothing)."""
    parent = str(dest.parent)
    if parent not in _log_dirs:
        make_dirs(dest.parent)
        _log_dirs.add(parent)
    try:
        os.link(src, dest, follow_symlinks=False)
    except FileNotFoundError:
        if not dest.parent.is_dir():   # the run's directory went away meanwhile
            _log_dirs.discard(parent)
    except OSError:   # another filesystem, or one without hard links
        if os.path.isfile(src) and not os.path.islink(src):
            _copy_private(src, dest)


def _copy_private(src: Path, dest: Path) -> None:
    from ..store.paths import opener
    with open(src, "rb") as fin, open(dest, "wb", opener=opener) as fout:
        shutil.copyfileobj(fin, fout)


def _fill(dest: Path, art_dir: Path, log: Path) -> None:
    """A shared entry's files: the node's artifacts (hard links when the filesystem allows) and log."""
    from ..store.paths import private_dir
    try:
        private_dir(dest.parent)
        private_dir(dest)
        if art_dir.exists():
            _link_or_copy(art_dir, dest / "artifacts")
        if log.exists():   # copied: a log is appended to, an entry's must not change
            _copy_private(log, dest / "log")
    except OSError:   # a full disk loses the entry's files (a later hit on it misses), not the run
        shutil.rmtree(dest, ignore_errors=True)


def _reuse(ctl, node: Node, key: str, entry: dict) -> bool:
    """Give ``node`` an entry's outputs and files; False (a miss) when a file of it is gone."""
    store = ctl.store
    if entry["shared"]:
        base = store.home / "cache" / key
        art_src, log_src = base / "artifacts", base / "log"
    else:
        art_src, log_src = store.artifact_dir(entry["run"]) / component(entry["node"]), \
            store.log_path(entry["run"], entry["node"])
    outputs = json.loads(entry["outputs"]) if entry["outputs"] else None
    arts = (outputs or {}).get("artifacts") or []
    for a in arts:
        name = str(a.get("name"))
        if "local" in a and (component(name) != name or name in (".", "..")
                             or not os.path.lexists(art_src / name)):
            return False
    dest = ctl.artifact_root / component(node.id)
    for a in arts:
        if "local" in a:
            _link_or_copy(art_src / str(a["name"]), dest / str(a["name"]))
            a["local"] = {"key": f"{component(node.id)}/{a['name']}"}
            if a.get("globalName"):
                ctl.set_global_output("artifacts", a["globalName"], a)
    for p in (outputs or {}).get("parameters") or []:
        if p.get("globalName"):
            ctl.set_global_output("parameters", p["globalName"], p.get("value"))
    _link_log(log_src, ctl.logs_dir / f"{node.id}.log")
    node.outputs = outputs
    node.host_node_name = "localhost"
    node.memoization = {"hit": True, "key": key, "cacheName": CACHE_NAME}
    ctl.set_phase(node, SUCCEEDED)
    return True


def annotate(workflow: dict, *, cache: bool | None = None, continue_from: str | None = None, store=None) -> dict:
    """Put ``--cache``/``--continue RUN`` on a workflow as annotations: the engine that runs it
    (this process's or a detached one) reads them, and ``argo`` turns them into ``memoize``."""
    ann = workflow.setdefault("metadata", {}).setdefault("annotations", {})
    if cache is not None:
        ann[ANNOTATION] = "true" if cache else "false"
    if continue_from:
        from ..errors import RunNotFound
        from ..spec.names import check_run_name
        check_run_name(continue_from)
        if store is not None and not store.exists(continue_from):
            raise RunNotFound(f"--continue {continue_from}: workflow {continue_from!r} not found")
        ann[CONTINUE_ANNOTATION] = continue_from
    return workflow
