"""Self-reported progress: ``$ARGO_PROGRESS_FILE``.

On Argo the main container gets ``ARGO_PROGRESS_FILE`` (``/var/run/argo/progress``); a step writes
``N/M`` lines to it and the executor copies the last valid one into its node's ``progress``. Here
the file is ``progress`` in the step's own directory (``runs/<run>/nodes/<node id>/``), the same
path inside the sandbox and out, and it is read when the step ends. It is step output, so hostile:
only its last 4 KiB are read, and only ``N/M`` with ``0 <= N <= M``, ``M > 0`` (Argo's
``Progress.IsValid``) and at most 18 digits each is taken; anything else is ignored.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

ENV = "ARGO_PROGRESS_FILE"
TAIL = 4096
_PROGRESS = re.compile(r"\s*(\d{1,18})/(\d{1,18})\s*")


def progress_file(root: Path) -> Path:
    """Where a step with directory ``root`` reports its progress."""
    return root / "progress"


def wants_progress(argv: list[str], script: str | None, env: dict) -> bool:
    """Whether a step names ``$ARGO_PROGRESS_FILE``: then its directory is made so the file can
    be written even by a step that needs no other private path (a step that reads the variable
    some other way gets it whenever its directory exists anyway)."""
    return ENV not in env and (any(ENV in a for a in argv) or (script is not None and ENV in script))


def parse(text: str) -> str | None:
    """The last valid ``N/M`` line of ``text``, or None."""
    for line in reversed(text.splitlines()):
        m = _PROGRESS.fullmatch(line)
        if m and 0 <= int(m.group(1)) <= int(m.group(2)) and int(m.group(2)) > 0:
            return f"{int(m.group(1))}/{int(m.group(2))}"
    return None


def read(root: Path) -> str | None:
    """The progress the step reported, or None (no file, not a regular file, nothing valid)."""
    path = progress_file(root)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        import stat
        if not stat.S_ISREG(st.st_mode):
            return None
        os.lseek(fd, max(0, st.st_size - TAIL), os.SEEK_SET)
        data = os.read(fd, TAIL)
    finally:
        os.close(fd)
    return parse(data.decode("utf-8", "replace"))
