"""The step cache never turns a symlink inside an artifact into the file it points at: a
reused artifact (and the cache area's copy) keeps the link as a link, and the cache area is private."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.engine.workflows import by_name, run, wf


@pytest.fixture
def outside():
    path = Path(tempfile.mkdtemp(dir="/var/tmp", prefix="jf-secret-"))
    (path / "secret").write_text("private key")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _doc(outside):
    return wf([{"name": "main", "script": {
        "image": "python", "command": ["sh"],
        "source": f"mkdir -p /work/out && echo hi > /work/out/f && ln -s {outside}/secret /work/out/l"},
        "outputs": {"artifacts": [{"name": "out", "path": "/work/out"}]}}])


def _walk_files(root: Path):
    for dirpath, dirs, files in os.walk(root):
        for f in files:
            yield Path(dirpath) / f


def test_a_reused_artifact_keeps_its_symlink_a_symlink(outside):
    from jupyter_flow.store import open_store
    store = open_store()
    first = run(_doc(outside), cache=True)
    assert first.phase == "Succeeded"
    again = run(_doc(outside), cache=True)
    node = by_name(again)[again.name]
    assert node["memoizationStatus"]["hit"] is True
    reused = store.artifact_dir(again.name) / node["outputs"]["artifacts"][0]["local"]["key"]
    assert (reused / "f").read_text() == "hi\n"
    assert (reused / "l").is_symlink() or not (reused / "l").exists()
    secret_ino = (outside / "secret").stat().st_ino
    # nothing under the home is the secret file itself (a hard link to it or a copy of its bytes)
    for p in _walk_files(store.home):
        if p.is_symlink():
            continue
        assert p.stat().st_ino != secret_ino
        assert p.read_bytes() != b"private key" if p.stat().st_size < 100 else True
    cache = store.home / "cache"
    for p in [cache, *cache.rglob("*")]:
        if not p.is_symlink():
            assert p.stat().st_mode & 0o077 == 0, p


def test_linking_an_entry_file_that_is_a_symlink_links_the_link(outside, tmp_path):
    """An entry's top-level artifact that is a symlink (an artifact store filled by hand, an older
    version) is linked as the link itself, never hard-linked to the file it names."""
    from jupyter_flow.engine.stepcache import _link_or_copy
    src = tmp_path / "art"
    os.symlink(outside / "secret", src)
    other_fs = Path("/dev/shm")
    targets = [tmp_path / "run"]
    if other_fs.is_dir() and other_fs.stat().st_dev != tmp_path.stat().st_dev:
        targets.append(Path(tempfile.mkdtemp(dir=other_fs, prefix="jf-dest-")))   # no hard link: a copy
    try:
        for base in targets:
            dest = base / "node" / "art"
            _link_or_copy(src, dest)
            assert dest.is_symlink() and os.readlink(dest) == str(outside / "secret"), base
            assert os.lstat(dest).st_ino != (outside / "secret").stat().st_ino
    finally:
        for base in targets[1:]:
            shutil.rmtree(base, ignore_errors=True)
