"""The one place every test finds Argo's upstream corpus (examples, e2e workflows, catalog).

The corpus is vendored in ``tests/argo_corpus`` (Apache-2.0, Argo's LICENSE and a README beside
it), so a fresh clone runs the corpus tests. ``JUPYTER_FLOW_SHARED`` points at another ``shared``
directory holding ``argo/`` (a newer snapshot, say) and overrides the vendored copy.

A missing corpus is an error, never a skip: importing this module raises, so every test module
that reads the corpus fails to collect and the run says why, instead of reporting a green suite
that never looked at the corpus.
"""
from __future__ import annotations

import os
from pathlib import Path

VENDORED = Path(__file__).resolve().parent / "argo_corpus"


class CorpusMissing(RuntimeError):
    """The corpus directory (or a file the tests need in it) is not there."""


def _argo_dir() -> Path:
    shared = os.environ.get("JUPYTER_FLOW_SHARED")
    return Path(shared) / "argo" if shared else VENDORED


ARGO = _argo_dir()
EXAMPLES = ARGO / "examples"
E2E = ARGO / "e2e"
CATALOG = ARGO / "catalog.tsv"
E2E_INDEX = E2E / "e2e_index.tsv"


def _check() -> None:
    where = ("$JUPYTER_FLOW_SHARED/argo" if os.environ.get("JUPYTER_FLOW_SHARED")
             else "the vendored tests/argo_corpus")
    for needed in (EXAMPLES, E2E, CATALOG, E2E_INDEX):
        if not needed.exists():
            raise CorpusMissing(f"Argo corpus incomplete: {needed} is missing ({where}); "
                                f"restore it with `git checkout -- tests/argo_corpus` or fix JUPYTER_FLOW_SHARED")
    if not any(EXAMPLES.glob("*.yaml")) or not any(E2E.glob("*.yaml")):
        raise CorpusMissing(f"Argo corpus at {ARGO} holds no YAML files ({where})")


_check()


def example(name: str) -> Path:
    """The path of one upstream example; a name the corpus lacks is an error, not a skip."""
    return _existing(EXAMPLES / name)


def e2e(name: str) -> Path:
    """The path of one upstream e2e workflow."""
    return _existing(E2E / name)


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise CorpusMissing(f"{path} is not in the Argo corpus at {ARGO}")
    return path
