"""Helpers for notebook tests: real kernels (nbclient) that import this checkout, widget message counting."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


@pytest.fixture
def kernel_env(monkeypatch, flow_home):
    """Kernels started by the test see this checkout and the test's private jupyter-flow home."""
    old = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + (os.pathsep + old if old else ""))
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return flow_home


def execute(nb, *, cwd: Path | str = ROOT, timeout: int = 120, allow_errors: bool = False):
    """Run every cell of ``nb`` in a fresh python3 kernel; returns the executed notebook."""
    from nbclient import NotebookClient
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                            store_widget_state=True, resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return nb


def notebook(*sources: str):
    import nbformat
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def text_of(cell) -> str:
    """Everything a cell printed or returned, as text."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") in ("execute_result", "display_data"):
            parts.append(str(out.get("data", {}).get("text/plain", "")))
        elif out.get("output_type") == "error":
            parts.append("\n".join(out.get("traceback", [])))
    return "".join(parts)


def widget_models(nb) -> dict[str, dict]:
    """model_id -> {model_name, state} recorded by nbclient (store_widget_state)."""
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    return state.get("state", {})


@pytest.fixture
def comm_log(monkeypatch):
    """Record every widget message sent from this process: (msg_type, method, state or custom content)."""
    import comm

    log: list[tuple[str, str | None, dict]] = []

    class CountingComm(comm.DummyComm):
        def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
            data = data or {}
            log.append((msg_type, data.get("method"), data.get("state") or data.get("content") or {}))

    monkeypatch.setattr(comm, "create_comm", lambda *a, **k: CountingComm(*a, **k))
    return log

