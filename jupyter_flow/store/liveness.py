"""Whether a run's engine process still lives (its ``owner_pid``), zombies counted as dead."""
from __future__ import annotations

import os


def pid_alive(pid: int | None) -> bool:
    """Whether the engine process ``pid`` still runs (a zombie, killed but not reaped, does not)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):
        return True
