"""jupyter_server test fixtures (pytest-jupyter), for the tests in this folder only."""
from __future__ import annotations

import pytest

pytest.importorskip("jupyter_server")
from pytest_jupyter.jupyter_server import *  # noqa: E402,F401,F403


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"jupyter_flow.server": True}}}
