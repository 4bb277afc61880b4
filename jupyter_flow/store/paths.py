"""Paths under the state home, confined to it and private to the user.

Names that become paths (a run's name: ``runs/<name>/``; a node id: ``logs/<id>.log``) are checked
when a run is created (``spec.names``), but a store written by an older version, or edited by
hand, may hold any text there: ``..``, ``/home/u/project``. So every such path is built here, from
one path component that cannot leave its parent, and whatever is removed is first resolved and
required to lie inside the root it belongs to.

Permissions: the home and every directory the engine makes are 0700, the files it writes 0600
(whatever the umask), as Jupyter does for its runtime files: parameter values, logs and
artifacts are the user's alone on a shared machine (:mod:`jupyter_flow.privatefs`).
"""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

# moved to privatefs (config makes the home with them; config sits below the store), kept here by name
from ..privatefs import (DIR_MODE, FILE_MODE, make_dirs, opener, private_dir, private_file,  # noqa: F401
                         private_home)

_UNSAFE_PREFIX = ".unsafe-"   # no valid name starts with "." (DNS-1123, node ids)


def component(name: str) -> str:
    """``name`` if it is one harmless path component, else a stand-in derived from it.

    The stand-in (``.unsafe-<sha256>``) stays inside the parent and never matches a valid name, so
    an old row named ``..`` reads and deletes its own (empty) directory, never its parent's.
    """
    if (isinstance(name, str) and name and name not in (".", "..") and "/" not in name and "\\" not in name
            and "\x00" not in name and len(name.encode("utf-8", "surrogatepass")) <= 200
            and not name.startswith(_UNSAFE_PREFIX)):
        return name
    digest = hashlib.sha256(str(name).encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return _UNSAFE_PREFIX + digest


def inside(root: Path, path: Path) -> bool:
    """Whether ``path``, with symlinks resolved, is ``root`` or below it."""
    root_real = Path(os.path.realpath(root))
    real = Path(os.path.realpath(path))
    return real == root_real or root_real in real.parents


def remove_tree(root: Path, path: Path) -> bool:
    """Remove ``path`` (a run's directory) only if it lies strictly inside ``root``; a symlink
    there is unlinked, never followed. Returns whether something was removed."""
    if os.path.islink(path):
        if inside(root, path.parent):
            os.unlink(path)
            return True
        return False
    if not os.path.exists(path) or Path(os.path.realpath(path)) == Path(os.path.realpath(root)):
        return False
    if not inside(root, path):
        return False
    shutil.rmtree(path, ignore_errors=True)
    return True
