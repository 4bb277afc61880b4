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
        # one block in memory and each byte counted once: a log is step output, and a long line
        # (no newline in 64 MB) made the old grow-and-recount loop quadratic (a minute, then hours)
        pos, seen = end, 0
        while pos > 0:
            step = min(1 << 16, pos)
            pos -= step
            f.seek(pos)
            block = f.read(step)
            found = block.count(b"\n")
            if seen + found >= want:
                idx = len(block)
                for _ in range(want - seen):
                    idx = block.rfind(b"\n", 0, idx)
                return pos + idx + 1
            seen += found
        return 0
