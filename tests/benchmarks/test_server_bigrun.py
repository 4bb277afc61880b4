"""`python -m benchmarks.server_bigrun --smoke`: the big-run server benchmark runs end to end
against a real ``jupyter server`` (small sizes; no timing assertions)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_server_bigrun_smoke(tmp_path):
    out_file = tmp_path / "bigrun.json"
    out = subprocess.run([sys.executable, "-m", "benchmarks.server_bigrun", "--smoke", "--json", str(out_file)],
                         cwd=str(ROOT), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    result = json.loads(out_file.read_text())
    assert result["listed"] == [["huge", "0/1"], ["big", "1999/1999"]]
    for key in ("list_ms", "list_6_concurrent_ms", "log_by_id_ms", "log_by_display_name_ms", "log_tail_ms"):
        assert result[key] > 0, key
    from jupyter_flow.server.logs import FOLLOW_BUDGET, FOLLOW_CHUNK
    follow = result["follow"]
    assert follow["events"] > 0 and follow["streamed_mb"] * 1e6 <= FOLLOW_BUDGET + FOLLOW_CHUNK, follow
