"""A finished (or running) run's output artifacts, found and copied out: ``argo cp`` and ``Run.artifacts``.

Locally the run's artifact directory is its artifact repository (``engine/artifacts.py``): an
artifact recorded on a node as ``{"name", "path", "local": {"key": "<node id>/<name>"}}`` is the
file or directory ``runs/<run>/artifacts/<key>``. The search is Argo's ``Workflow.SearchArtifacts``
(every node's ``outputs.artifacts``, narrowed by artifact name, template name and node id), and
the copy follows ``argo cp``: each artifact goes to ``DIR/<--path>/<file name>``, where ``--path``
may use ``{namespace}``, ``{workflowName}``, ``{nodeId}``, ``{templateName}`` and ``{artifactName}``.

One difference, on purpose: Argo downloads its repository's object, by default a ``.tgz`` of the
file; here the artifact is copied as the step left it (a file, or a directory tree).
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import JupyterFlowError
from .store.paths import component

DEFAULT_PATH = "{namespace}/{workflowName}/{nodeId}/outputs/{artifactName}"


@dataclass(frozen=True)
class FoundArtifact:
    """One output artifact of one node, and where it is stored on this machine (None: elsewhere)."""

    node_id: str
    template: str
    name: str
    stored: Path | None
    record: dict


def template_of(node: dict) -> str:
    """The template a node ran (``templateRef.template`` when it came from a WorkflowTemplate)."""
    ref = node.get("templateRef") or {}
    return ref.get("template") or node.get("templateName") or ""


def search(nodes: dict[str, dict], artifact_root: Path, *, artifact_name: str | None = None,
           template_name: str | None = None, node_id: str | None = None) -> list[FoundArtifact]:
    """The output artifacts of ``nodes`` (``status.nodes``) that match every filter given."""
    found = []
    for nid, node in nodes.items():
        if template_name and node.get("templateName") != template_name:
            continue
        if node_id and nid != node_id:
            continue
        for art in (node.get("outputs") or {}).get("artifacts") or []:
            if artifact_name and art.get("name") != artifact_name:
                continue
            key = (art.get("local") or {}).get("key")
            stored = _inside(artifact_root, key) if key else None
            found.append(FoundArtifact(nid, template_of(node), art.get("name", ""), stored, art))
    return found


def _inside(root: Path, key: str) -> Path | None:
    """``root/key``, unless the key leaves ``root`` (a record edited by hand): then nothing."""
    parts = key.replace("\\", "/").split("/")
    if key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        return None
    return root.joinpath(*parts)


def copy(found: list[FoundArtifact], dest: Path | str, *, workflow: str, namespace: str = "default",
         path: str = DEFAULT_PATH) -> list[Path]:
    """Copy each artifact to ``dest/<path>/<name>`` (``argo cp``); returns the paths written.

    An artifact stored elsewhere (a cluster's repository) or missing from the run's directory is
    an error naming it, raised before anything is copied.
    """
    for art in found:
        if art.stored is None:
            where = next((k for k in art.record if k not in ("name", "path", "archive", "globalName", "mode")),
                         "an artifact repository")
            raise JupyterFlowError(f"artifact {art.name!r} of node {art.node_id} is stored in {where}, not on "
                                   "this machine: for a run on Argo use `argo cp`")
        if not art.stored.exists():
            raise JupyterFlowError(f"artifact {art.name!r} of node {art.node_id}: {art.stored} is missing "
                                   "from the run's directory")
    folders = []
    for art in found:
        # the names filled in come from the run's record: one that is not a single path
        # component (``..``, ``a/../../b``) is refused before anything is written
        values = {"{templateName}": art.template, "{namespace}": namespace, "{workflowName}": workflow,
                  "{nodeId}": art.node_id, "{artifactName}": art.name}
        for key, value in values.items():
            if key in path and value and component(value) != value:
                raise JupyterFlowError(f"artifact {art.name!r} of node {art.node_id}: {key[1:-1]} {value!r} "
                                       "cannot be part of a path")
        folder = Path(dest) / (path.replace("{templateName}", art.template, 1)
                               .replace("{namespace}", namespace, 1)
                               .replace("{workflowName}", workflow, 1)
                               .replace("{nodeId}", art.node_id, 1)
                               .replace("{artifactName}", art.name, 1))
        folders.append(folder)
    written = []
    for art, folder in zip(found, folders):
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / art.stored.name
        _refuse_link(target, art)
        if art.stored.is_dir():
            _copy_tree(art.stored, target, art)
        else:
            if target.is_dir():
                shutil.rmtree(target)
            shutil.copy2(art.stored, target)
        written.append(target)
    return written


def _refuse_link(path: Path, art: FoundArtifact) -> None:
    if path.is_symlink():
        raise JupyterFlowError(f"artifact {art.name!r} of node {art.node_id}: {path} is a link (one an artifact "
                               "copied before left there?): refusing to write through it")


def _copy_tree(src: Path, dst: Path, art: FoundArtifact) -> None:
    """Copy the tree ``src`` into ``dst`` (merging with what is there), links kept as links.

    Unlike ``shutil.copytree(..., dirs_exist_ok=True)`` it never writes *through* a link already
    in ``dst``: two artifacts copied to one folder (``--path '{workflowName}'``) could otherwise
    be a link ``x -> ~/.ssh`` left by the first and a directory ``x/`` in the second, whose files
    then land in ``~/.ssh``. Iterative (``os.walk``), so no tree is too deep for it.
    """
    made: list[tuple[str, Path]] = []
    for here, dirs, files in os.walk(src):
        rel = Path(here).relative_to(src)
        out = dst / rel
        _refuse_link(out, art)
        if out.exists() and not out.is_dir():
            out.unlink()
        out.mkdir(exist_ok=True)
        for name in list(dirs) + files:
            s, d = Path(here) / name, out / name
            if s.is_symlink():   # a link replaces a link or a file, never what a link points at
                if d.is_symlink() or d.is_file():
                    d.unlink()
                elif d.is_dir():
                    raise JupyterFlowError(f"artifact {art.name!r} of node {art.node_id}: {d} is a directory "
                                           "(another artifact's?) where this one has a link")
                os.symlink(os.readlink(s), d)
                continue
            _refuse_link(d, art)
            if s.is_file():
                if d.is_dir():
                    shutil.rmtree(d)
                shutil.copy2(s, d, follow_symlinks=False)
        made.append((here, out))
    for here, out in reversed(made):   # after the files: a read-only mode set first would stop them
        shutil.copystat(here, out, follow_symlinks=False)
