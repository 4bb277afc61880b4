"""Every test gets its own jupyter-flow home: runs, logs and locks never leak between tests."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("JUPYTER_FLOW_SHARED", ROOT.parent / "shared"))


@pytest.fixture(autouse=True)
def flow_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("jf-home")
    monkeypatch.setenv("JUPYTER_FLOW_HOME", str(home))
    return home


@pytest.fixture
def store(flow_home):
    from jupyter_flow.store import open_store
    return open_store(flow_home)
