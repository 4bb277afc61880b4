"""Paths under the state home, confined to it and private to the user.

Names that become paths (a run's name: ``runs/<name>/``; a node id: ``logs/<id>.log``) are checked
when a run is created (``spec.names``), but a store written by an older version, or edited by
hand, may hold any text there: ``..``, ``/home/u/project``. So every such path is built here, from
one path component that cannot leave its parent, and whatever is removed is first resolved and
required to lie inside the root it belongs to.

Permissions: the home and every directory the engine makes are 0700, the files it writes 0600
(whatever the umask), as Jupyter does for its runtime files: parameter values, logs and
artifacts are the user's alone on a shared machine.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
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


def private_dir(path: Path) -> Path:
    """Make ``path`` (and missing parents) as 0700 directories; an existing one of the user's
    (the home's ``runs/``, 0755 from an older version) is set to 0700 too."""
    make_dirs(path)
    try:
        st = os.stat(path)
        if st.st_uid == os.geteuid() and st.st_mode & 0o077:
            os.chmod(path, DIR_MODE)
    except OSError:
        pass
    return path


def private_home(path: Path) -> Path:
    """The state home as a 0700 directory. An existing one is closed (0755 from an older version)
    only if it is a jupyter-flow home of this user's: ``JUPYTER_FLOW_HOME=/tmp`` or ``=~`` must
    not turn a shared directory private. Its runs stay private either way (``runs/`` 0700,
    ``runs.db`` 0600)."""
    try:
        os.mkdir(path, DIR_MODE)
        return path
    except FileExistsError:
        pass
    except FileNotFoundError:
        make_dirs(path)
        return path
    try:
        st = os.stat(path)
        ours = st.st_uid == os.geteuid() and not st.st_mode & stat.S_ISVTX
        if ours and st.st_mode & 0o077 and ((path / "runs.db").exists() or (path / "runs").is_dir()):
            os.chmod(path, DIR_MODE)
    except OSError:
        pass
    return path


def private_file(path: Path) -> None:
    """Create ``path`` as an empty 0600 file if missing; set an existing one of the user's to 0600."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    except FileNotFoundError:
        return
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, FILE_MODE)
    except PermissionError:
        pass
    finally:
        os.close(fd)


def make_dirs(path: Path) -> None:
    """``mkdir -p`` with every directory it creates 0700 (``os.makedirs`` gives only the last one
    its mode; a run's directory is usually made by the first file written several levels down)."""
    try:
        os.mkdir(path, DIR_MODE)
    except FileExistsError:
        return
    except FileNotFoundError:
        make_dirs(Path(path).parent)
        try:
            os.mkdir(path, DIR_MODE)
        except FileExistsError:
            pass


def opener(path: str, flags: int) -> int:
    """``open(..., opener=opener)``: a file the engine creates is 0600 whatever the umask."""
    return os.open(path, flags, FILE_MODE)
