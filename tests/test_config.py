"""config.home(): the state directory follows JUPYTER_FLOW_HOME (and HOME) as they change."""
from __future__ import annotations

from pathlib import Path

from jupyter_flow import config


def test_home_follows_the_environment_and_is_made_on_first_use(tmp_path, monkeypatch):
    first, second = tmp_path / "a" / "home", tmp_path / "b"
    monkeypatch.setenv("JUPYTER_FLOW_HOME", str(first))
    assert config.home() == first and first.is_dir()
    assert config.home() is config.home()   # built once per setting, not once per call
    monkeypatch.setenv("JUPYTER_FLOW_HOME", str(second))
    assert config.home() == second and second.is_dir()
    monkeypatch.delenv("JUPYTER_FLOW_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert config.home() == Path(tmp_path / "user" / ".jupyter-flow") and config.home().is_dir()
    monkeypatch.setenv("JUPYTER_FLOW_HOME", str(first))
    assert config.home() == first
