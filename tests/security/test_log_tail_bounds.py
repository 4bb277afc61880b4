"""``tail`` of a log (store/logtail.py: ``jupyter-flow logs --tail``, the Argo Server API's
``logOptions.tailLines``): a log is step output, hostile in size and shape. Finding where its last
lines start reads each byte once with one block in memory, whatever the lines look like."""
from __future__ import annotations

import random

import pytest

from jupyter_flow.store.logtail import tail_offset

from .conftest import run_bounded


def naive(data: bytes, lines: int) -> int:
    """Where the last ``lines`` lines start, from the whole text (the definition)."""
    if lines <= 0 or not data:
        return len(data)
    body = data[:-1] if data.endswith(b"\n") else data
    cut = len(body)
    for _ in range(lines):
        cut = body.rfind(b"\n", 0, cut)
        if cut < 0:
            return 0
    return cut + 1


def test_a_gigabyte_line_is_tailed_in_bounded_memory_and_time(tmp_path):
    """1 GiB without a newline (sparse: no disk used) under a 400 MB address-space cap. The old loop
    kept every block read so far and recounted it each time: it needed 2 GiB and, at 64 MB, a
    minute (quadratic), so one step's output stalled ``logs --tail`` and the Argo server's log stream."""
    path = tmp_path / "step.log"
    with open(path, "wb") as f:
        f.truncate(1 << 30)
        f.seek((1 << 30) - 1)
        f.write(b"\n")
    code = f"from jupyter_flow.store.logtail import tail_offset; print(tail_offset({str(path)!r}, 10))"
    done = run_bounded(code, timeout=120, memory_mb=400)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "0"


@pytest.mark.parametrize("seed", range(40))
def test_tail_offset_agrees_with_the_definition(tmp_path, seed):
    rnd = random.Random(seed)
    parts = [b"x" * rnd.choice([0, 1, 5, 70_000, 140_000]) for _ in range(rnd.randint(0, 12))]
    data = b"\n".join(parts) + (b"\n" if rnd.random() < 0.5 else b"")
    path = tmp_path / "log"
    path.write_bytes(data)
    for lines in (0, 1, 2, 3, 7, 50):
        assert tail_offset(path, lines) == naive(data, lines), (lines, len(data))
