"""``get --fold N``: a big loop fan-out shows N quiet children, every troubled one, and one line
counting the rest; off by default (argo prints every node)."""
from __future__ import annotations

import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from jupyter_flow.render import render_get

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.bigread import big_run_rows, fill_big, workflow  # noqa: E402

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def wf_of(n: int) -> dict:
    rows = big_run_rows("big", n, time.time() - 100)
    rows[2 + 30]["phase"] = "Failed"
    rows[2 + 31]["phase"] = "Running"
    rows[2 + 40]["phase"] = "Skipped"
    wf = workflow("big", n)
    wf["status"] = {"phase": "Running", "nodes": {r["id"]: r for r in rows}}
    return wf


def tree(text: str) -> list[str]:
    lines = text.rstrip("\n").splitlines()
    return [line.rstrip() for line in lines[lines.index("") + 2:]]


def test_fold_keeps_the_first_n_and_every_troubled_child():
    wf = wf_of(50)
    lines = tree(render_get(wf, now=NOW, tz=timezone.utc, fold=5))
    names = [line.split()[1] for line in lines]
    assert [n for n in names if n.startswith("t(")] == ["t(0:0)", "t(1:1)", "t(2:2)", "t(3:3)", "t(4:4)",
                                                        "t(30:30)", "t(31:31)"]
    assert lines[-1].startswith("   └─…") and lines[-1].endswith("43 more not shown (✔ 42, ○ 1; --fold 0 shows them)")
    ascii_lines = tree(render_get(wf, now=NOW, tz=timezone.utc, fold=5, utf8=False))
    assert ascii_lines[-1].split()[0] == "`-..." and "42 Succeeded, 1 Skipped" in ascii_lines[-1]


def test_fold_off_or_not_needed_changes_nothing():
    wf = wf_of(50)
    full = render_get(wf, now=NOW, tz=timezone.utc)
    assert render_get(wf, now=NOW, tz=timezone.utc, fold=0) == full
    assert render_get(wf, now=NOW, tz=timezone.utc, fold=50) == full
    assert render_get(wf, now=NOW, tz=timezone.utc, fold=49) != full
    assert len(tree(full)) == 51   # the run's node and its 50 pods (argo hides StepGroups)


def test_cli_get_fold(store):
    import os
    import subprocess
    fill_big(store, "big", 300)
    out = subprocess.run([sys.executable, "-m", "jupyter_flow.cli", "get", "big", "--fold", "2"], capture_output=True,
                         text=True, timeout=60, env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    assert "298 more not shown (✔ 298; --fold 0 shows them)" in out.stdout and len(tree(out.stdout)) == 4
