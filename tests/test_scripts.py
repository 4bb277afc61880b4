"""scripts/stale_labext_link.sh: what scripts/test.sh (CI, the README's second command) does before
``pip install`` to an environment's lab extension path. A development link into a checkout that is
gone made CI's install fail (no such file ... build_log.json)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "stale_labext_link.sh"


@pytest.fixture
def env(tmp_path):
    prefix, checkout = tmp_path / "prefix", tmp_path / "checkout"
    (prefix / "share" / "jupyter" / "labextensions").mkdir(parents=True)
    (checkout / "jupyter_flow" / "labextension").mkdir(parents=True)
    return prefix, checkout, prefix / "share" / "jupyter" / "labextensions" / "jupyter-flow"


def run(prefix: Path, checkout: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), str(prefix), str(checkout)], capture_output=True, text=True,
                          check=True)


def test_a_link_into_a_checkout_that_is_gone_is_removed(env, tmp_path):
    prefix, checkout, ext = env
    ext.symlink_to(tmp_path / "removed-worktree" / "jupyter_flow" / "labextension")
    out = run(prefix, checkout)
    assert not ext.is_symlink() and not ext.exists()
    assert "removing the stale link" in out.stderr


def test_a_link_into_another_live_checkout_is_removed(env, tmp_path):
    prefix, checkout, ext = env
    other = tmp_path / "other" / "jupyter_flow" / "labextension"
    other.mkdir(parents=True)
    (other / "package.json").write_text("{}")
    ext.symlink_to(other)
    run(prefix, checkout)
    assert not ext.is_symlink()
    assert (other / "package.json").read_text() == "{}"   # the other checkout is not touched


def test_a_link_to_this_checkouts_build_is_kept(env, tmp_path):
    prefix, checkout, ext = env
    ext.symlink_to(checkout / "jupyter_flow" / "labextension")
    # given as a relative path, as test.sh does (".")
    subprocess.run(["bash", str(SCRIPT), str(prefix), os.path.relpath(checkout)], check=True,
                   capture_output=True)
    assert ext.is_symlink()


def test_an_installed_copy_or_nothing_is_left_alone(env):
    prefix, checkout, ext = env
    assert run(prefix, checkout).stderr == ""   # nothing there
    ext.mkdir()
    (ext / "package.json").write_text("{}")
    run(prefix, checkout)
    assert (ext / "package.json").read_text() == "{}"
