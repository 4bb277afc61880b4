"""Files and directories private to the user: 0700 directories, 0600 files, whatever the umask.

As Jupyter does for its runtime files: parameter values, logs and artifacts are the user's alone
on a shared machine. Used from the bottom of the package up: ``config`` makes the state home
with :func:`private_home`, the store, the engine and the executors make everything under it.
Imports nothing from the package.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


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
