"""Artifacts on one machine: the run's artifact directory is the artifact repository.

An output artifact is copied out of the step's private filesystem into
``runs/<run>/artifacts/<node id>/<name>`` (a file, or a directory kept as a tree) and recorded
as ``{"name", "path", "local": {"key": ...}}``. An input artifact is placed at its declared
path inside the step's filesystem before the step starts.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable

from ..errors import JupyterFlowError
from ..store.paths import component, inside, make_dirs


class ArtifactError(JupyterFlowError):
    """Loading or saving an artifact failed: the node is an Error, as in Argo."""


CLUSTER_LOCATIONS = ("s3", "gcs", "azure", "oss", "hdfs", "artifactory", "plugin", "huggingface")


def stored_path(dest_root: Path, node_id: str, name: object) -> Path:
    """``<artifact root>/<node id>/<name>``, refusing a name that is not Argo's
    ``[-a-zA-Z0-9_]+`` (its final value: a ``{{...}}`` in it was substituted) or a path that
    would leave the root: the engine removes what is there before it copies the artifact in."""
    from ..spec.names import param_or_artifact_name_problem
    problem = param_or_artifact_name_problem(name, "output artifact name", tags=False)
    if problem or not isinstance(name, str) or not name:
        raise ArtifactError(problem or "an output artifact needs a name")
    dest = dest_root / component(node_id) / name
    if not inside(dest_root, dest.parent) or dest.parent == dest_root:
        raise ArtifactError(f"output artifact {name!r}: {dest} is outside the run's artifact directory")
    return dest


def _private(path: Path) -> None:
    """An artifact copied in keeps its owner's permission bits only (no group/other access)."""
    for p in [path] + (list(path.rglob("*")) if path.is_dir() and not path.is_symlink() else []):
        if not p.is_symlink():
            mode = p.stat().st_mode & 0o7777
            if mode & 0o077:
                os.chmod(p, mode & 0o700)


def save_output(art: dict, host_path: Callable[[str], Path], dest_root: Path, node_id: str,
                key_root: Path | None = None) -> dict | None:
    """Copy an output artifact into the run's artifact directory; a key-only one (``s3: {key}``)
    is also saved at its key in the default repository ``key_root`` (engine/keyrepo.py)."""
    path = art.get("path")
    if not path:
        raise ArtifactError(f"output artifact {art.get('name')!r} has no path")
    src = host_path(path)
    if not src.exists():
        if art.get("optional"):
            return None
        raise ArtifactError(f"failed to save outputs: open {path}: no such file or directory")
    dest = stored_path(dest_root, node_id, art.get("name"))
    key = f"{component(node_id)}/{art['name']}"
    make_dirs(dest.parent)
    if dest.is_symlink() or dest.is_file():
        dest.unlink()
    elif dest.exists():
        shutil.rmtree(dest)
    if src.is_dir():
        shutil.copytree(src, dest, symlinks=True)
    else:
        shutil.copy2(src, dest)
    _private(dest)
    if key_root is not None:
        from .keyrepo import key_only, save_at_key
        located = key_only(art)
        if located:
            save_at_key(dest, key_root, located[1], art.get("name"))
    record = {"name": art["name"], "path": path, "local": {"key": key}}
    for k in ("archive", "globalName", "mode"):
        if k in art:
            record[k] = art[k]
    return record


def load_input(art: dict, target: Path, artifact_root: Path, allow_network: bool = True,
               key_root: Path | None = None) -> None:
    """Materialise one input artifact at ``target`` (the host path of its declared path); a
    key-only one (``s3: {key}``) is read from the default repository ``key_root``."""
    name = art.get("name")
    target.parent.mkdir(parents=True, exist_ok=True)
    if "raw" in art:
        target.write_text(str((art.get("raw") or {}).get("data", "")))
        _mode(art, target)
        return
    if "local" in art:
        src = artifact_root / str((art.get("local") or {}).get("key") or "")
        if src == artifact_root or not inside(artifact_root, src):
            raise ArtifactError(f"input artifact {name!r}: key {art['local'].get('key')!r} is outside the run's "
                                "artifact store")
        if not src.exists():
            raise ArtifactError(f"input artifact {name!r}: {src} is missing from the run's artifact store")
        _copy_in(art, src, target)
        return
    located = None
    if key_root is not None:
        from .keyrepo import key_only, stored_at_key
        located = key_only(art)
    if located:
        _copy_in(art, stored_at_key(key_root, located[1], name), target)
        return
    if "http" in art:
        url = (art["http"] or {}).get("url", "")
        refused = fetch_problem(url, "url")
        if refused:
            raise ArtifactError(f"input artifact {name!r}: {refused}")
        from .fetch import FetchError, fetch_http
        try:   # within limits.maxArtifactBytes and limits.artifactFetchSeconds (fetch.py)
            fetch_http(url, target)
        except FetchError as exc:
            raise ArtifactError(f"input artifact {name!r}: cannot fetch {url}: {exc}") from None
        _mode(art, target)
        return
    if "git" in art:
        import subprocess
        git = art["git"] or {}
        repo = git.get("repo", "")
        refused = fetch_problem(repo, "repo", git=True) or _option_like(git, "branch", "revision")
        if refused:
            raise ArtifactError(f"input artifact {name!r}: {refused}")
        cmd = ["git", "-c", "protocol.file.allow=never", "-c", "protocol.ext.allow=never", "clone", "--quiet"]
        if git.get("depth"):
            cmd += ["--depth", str(git["depth"])]
        if git.get("singleBranch") and git.get("branch"):
            cmd += ["--single-branch", "--branch", git["branch"]]
        cmd += ["--", repo, str(target)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=_anonymous_git_env())
        if proc.returncode != 0:
            raise ArtifactError(f"input artifact {name!r}: git clone {repo} failed: {proc.stderr.strip()} "
                                "(this machine may have no internet access)")
        if git.get("revision"):
            subprocess.run(["git", "-C", str(target), "checkout", "--quiet", str(git["revision"]), "--"],
                           check=False, env=_anonymous_git_env())
        return
    for loc in CLUSTER_LOCATIONS:
        if loc in art:
            raise ArtifactError(f"input artifact {name!r} comes from {loc}: the local backend has no {loc} "
                                "artifact repository; run with --backend argo")
    if art.get("optional"):
        return
    raise ArtifactError(f"input artifact {name!r} has no source (from, raw, http, git) and is not optional")


def _copy_in(art: dict, src: Path, target: Path) -> None:
    """Place a stored artifact (a file or a tree) at ``target``."""
    if target.exists() and target.is_dir() and src.is_dir():
        shutil.rmtree(target)
    if src.is_dir():
        shutil.copytree(src, target, symlinks=True, dirs_exist_ok=True)
    else:
        shutil.copy2(src, target)
    _mode(art, target)


def fetch_problem(url: object, field: str, git: bool = False) -> str | None:
    """Why the engine must not fetch ``url`` for a step, or None.

    Argo fetches http and git artifacts inside the step's pod, so a ``file://`` URL or a local
    repository path names the pod's own files. Here the engine fetches on the host, outside any
    sandbox or container: such a URL would hand the host's files (``~/.ssh``) to the step, and a
    repo starting with ``-`` would be an option of ``git clone`` (``--upload-pack=CMD`` runs a
    command). So only network URLs are fetched: http(s), and for git also ssh, git and scp-like
    ``user@host:path``.
    """
    from urllib.parse import urlsplit
    text = url if isinstance(url, str) else ""
    schemes = ("http", "https", "ssh", "git", "git+ssh") if git else ("http", "https")
    scheme = urlsplit(text).scheme.lower() if "://" in text else ""
    if scheme in schemes and urlsplit(text).netloc:
        return None
    if git and not scheme and _scp_like(text):
        return None
    return (f"{field} {url!r} is not a network URL ({', '.join(s + '://' for s in schemes)}"
            + (" or user@host:path" if git else "") + "): the engine fetches it on this machine, "
            "outside the step's sandbox, so local paths, file:// and options are refused")


def _scp_like(text: str) -> bool:
    """git's scp-like ``[user@]host:path``: a host before the first ``:`` and no ``/`` before it."""
    host, sep, _ = text.partition(":")
    return bool(sep and host and not host.startswith("-") and "/" not in host and "\\" not in host
                and not any(c.isspace() for c in text))


def _anonymous_git_env() -> dict[str, str]:
    """The environment of the engine's ``git``: none of the user's credentials or settings.

    Argo's pod clones with the credentials the artifact names (secrets) and nothing else. Run with
    the user's environment, a URL in the workflow text would be cloned with the user's identity
    (credential helper, ``~/.git-credentials``, the SSH agent and keys, ``insteadOf`` rewrites)
    and handed to the step: a container step could read the user's private repositories. So the
    user's and the system's git config are not read, no prompt, no agent, no key file.
    """
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GIT_", "SSH_")) and k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0",
               GIT_ASKPASS="", SSH_ASKPASS="", GIT_SSH_COMMAND="ssh -F none -o IdentitiesOnly=yes "
               "-o IdentityFile=none -o IdentityAgent=none -o BatchMode=yes")
    return env


def _option_like(git: dict, *fields: str) -> str | None:
    for field in fields:
        value = git.get(field)
        if value is not None and str(value).startswith("-"):
            return f"{field} {value!r} starts with '-': git would read it as an option"
    return None


def _mode(art: dict, target: Path) -> None:
    if art.get("mode") is not None and target.exists():
        os.chmod(target, int(art["mode"]))

