"""Where the last lines of a log file start: the ``tail`` of ``logs`` (CLI) and of Argo's log streams
(``argoserver``), read from the end a block at a time."""
from __future__ import annotations


def tail_offset(path, lines: int) -> int:
    """Where the last ``lines`` lines of the file at ``path`` start (read from the end, a block at a time)."""
    with open(path, "rb") as f:
        end = f.seek(0, 2)
        if lines <= 0 or end == 0:
            return end
        f.seek(end - 1)
        want = lines + (f.read(1) == b"\n")   # a final newline ends the last line, it starts none
        pos, buf = end, b""
        while pos > 0:
            step = min(1 << 16, pos)
            pos -= step
            f.seek(pos)
            buf = f.read(step) + buf
            if buf.count(b"\n") >= want:
                idx = len(buf)
                for _ in range(want):
                    idx = buf.rfind(b"\n", 0, idx)
                return pos + idx + 1
        return 0
