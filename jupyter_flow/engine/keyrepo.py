"""Key-only artifacts: the default artifact repository on this machine.

On Argo an artifact that names only a key (``s3: {key: my-file}``, no bucket or endpoint) lives
in the workflow controller's *default* artifact repository: an output is saved at that key and an
input reads whatever is at it, whichever workflow wrote it (the repository is one bucket shared by
every workflow of the namespace, which is why ``map-reduce`` prefixes its keys with
``{{workflow.name}}``). Locally that repository is ``$JUPYTER_FLOW_HOME/artifact-repository``
(a store-less run uses a directory in its own scratch dir), a key being a relative path in it:
``a/b/`` is the directory ``a/b``, and a key that is a prefix of others (``wf/results``) reads as
the directory holding them, as Argo reads a key prefix.

A key is text from the workflow: it must be a relative ``/``-separated path with no ``.``/``..``
or empty segment, no backslash or NUL, and it must resolve (links followed) under the root.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Callable

from ..store.paths import inside, make_dirs
from .artifacts import CLUSTER_LOCATIONS, ArtifactError, _private

MAX_KEY_LEN = 1024   # S3's own limit on an object key


def key_only(art: dict) -> tuple[str, object] | None:
    """``(location, key)`` when ``art`` names only a key in a repository location, else None."""
    for loc in CLUSTER_LOCATIONS:
        spec = art.get(loc)
        if isinstance(spec, dict) and "key" in spec and not any(v not in (None, "", {}) for k, v in spec.items()
                                                                if k != "key"):
            return loc, spec.get("key")
    return None


def with_key_substituted(art: dict, substitute: Callable[[object], object]) -> dict:
    """``art`` with the tags of its key resolved in the step's scope: a template's own input
    declaration (``s3: {key: "{{workflow.name}}/results"}``) reaches the step unsubstituted."""
    located = key_only(art)
    if not located or "{{" not in str(located[1]):
        return art
    loc = located[0]
    return dict(art, **{loc: dict(art[loc], key=substitute(located[1]))})


def repository_root(ctl) -> Path:
    """The default artifact repository of ``ctl``'s run (shared by the runs of one home)."""
    store = getattr(ctl, "store", None)
    home = getattr(store, "home", None)
    return Path(home) / "artifact-repository" if home is not None else ctl.run_dir / "artifact-repository"


def key_path(root: Path, key: object, name: object) -> Path:
    """``root/<key>``, or :class:`ArtifactError` naming the artifact when the key is unsafe."""
    text = key if isinstance(key, str) else ""
    parts = text.rstrip("/").split("/") if text else []
    bad = (not parts or len(text) > MAX_KEY_LEN or text.startswith("/") or "\\" in text or "\x00" in text
           or any(p in ("", ".", "..") for p in parts))
    if bad:
        raise ArtifactError(f"artifact {name!r}: key {key!r} must be a relative path of '/'-separated names "
                            "(no '.', '..', empty segment, leading '/' or backslash) in the artifact repository")
    path = root.joinpath(*parts)
    if not inside(root, path.parent) and path.parent.exists():
        raise ArtifactError(f"artifact {name!r}: key {key!r} leaves the artifact repository {root}")
    return path


def save_at_key(stored: Path, root: Path, key: object, name: object) -> None:
    """Copy an output artifact already saved at ``stored`` to its key (replacing what was there)."""
    dest = key_path(root, key, name)
    make_dirs(root)
    for parent in reversed(dest.relative_to(root).parents):
        p = root / parent
        if p.is_symlink() or (p.exists() and not p.is_dir()):
            raise ArtifactError(f"artifact {name!r}: key {key!r}: {parent} is not a directory in the repository")
    make_dirs(dest.parent)
    if not inside(root, dest.parent):
        raise ArtifactError(f"artifact {name!r}: key {key!r} leaves the artifact repository {root}")
    tmp = dest.parent / f".{dest.name}.{uuid.uuid4().hex}.tmp"
    if stored.is_dir():
        shutil.copytree(stored, tmp, symlinks=True)
    else:
        shutil.copy2(stored, tmp)
    _private(tmp)
    if dest.is_symlink() or dest.is_file():
        dest.unlink()
    elif dest.exists():
        shutil.rmtree(dest)
    os.replace(tmp, dest)


def stored_at_key(root: Path, key: object, name: object) -> Path:
    """Where an input artifact's key is stored; :class:`ArtifactError` when nothing is there."""
    src = key_path(root, key, name)
    if not inside(root, src):
        raise ArtifactError(f"input artifact {name!r}: key {key!r} leaves the artifact repository {root}")
    if not src.exists():
        raise ArtifactError(f"input artifact {name!r}: key {key!r} does not exist in the default artifact "
                            f"repository ({root})")
    return src
