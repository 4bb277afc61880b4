"""Artifact references: ``from``, ``fromExpression`` and ``subPath`` (Argo's ``wfScope.resolveArtifact``).

In Argo a step's or task's argument artifact is resolved in the *caller's* scope when the step
starts: ``from: "{{steps.X.outputs.artifacts.Y}}"`` (or ``tasks.``, ``workflow.outputs.artifacts.``,
or the calling template's own ``inputs.artifacts.NAME``) names a stored artifact, ``fromExpression``
picks one with an expression, and ``subPath`` then narrows it to a file or directory inside it
(``path.Join`` onto the artifact's key). The bound input artifact is that record, with the path,
mode and recurseMode the consuming template declares.

Here an artifact in a scope is its JSON record (``scope.add_outputs``); a local one is
``{"name", "path", "local": {"key": "<node id>/<name>"}}`` under the run's artifact directory.
A ``subPath`` is text from the workflow (or a step's output, through a tag): it must be a relative
path that stays inside the artifact, after following the links stored in it; anything else is
refused, never looked up.
"""
from __future__ import annotations

import json
import posixpath
from pathlib import Path
from typing import Any, Mapping

from .. import expr
from ..errors import ExprError
from .artifacts import ArtifactError

_REF_KEYS = ("from", "fromExpression", "subPath")


def as_record(value: Any) -> dict | None:
    """A scope value (an artifact's JSON record, or the record itself) as a dict, else None."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def _unresolved(text: str) -> str:
    """Argo's ``Unable to resolve: "<tag>"`` for a ``from`` that still holds a tag."""
    body = text.strip()
    if body.startswith("{{") and body.endswith("}}"):
        body = body[2:-2].strip()
    return f"Unable to resolve: {json.dumps(body)}"


def resolve(art: dict, scope: Mapping, *, substituted: bool = True) -> dict | None:
    """The record ``art``'s ``from``/``fromExpression`` names, ``subPath`` applied; None when it
    has neither. A step's argument was substituted in the caller's scope already
    (``substituted``), so its ``from`` is the record's JSON and a tag left in it did not resolve;
    a template's output ``from`` is substituted here. Raises :class:`ArtifactError`."""
    if art.get("from"):
        ref = str(art["from"])
        if not substituted:
            try:
                ref = expr.substitute(ref, scope)
            except ExprError as exc:
                raise ArtifactError(str(exc)) from None
        found = as_record(ref)
        if found is None:
            raise ArtifactError(_unresolved(ref) if "{{" in ref else
                                f"Variable {{{{{art['from']}}}}} is not an artifact")
    elif art.get("fromExpression"):
        try:
            value = expr.evaluate(str(art["fromExpression"]), expr.nested_env(scope))
        except ExprError as exc:
            raise ArtifactError(str(exc)) from None
        found = as_record(value)
        if found is None:
            raise ArtifactError(f"Unable to resolve: fromExpression {art['fromExpression']!r} "
                                "is not an artifact")
    else:
        return None
    found = dict(found)
    sub = art.get("subPath")
    if sub not in (None, ""):
        try:
            if not substituted:
                try:
                    sub = expr.substitute(str(sub), scope)
                except ExprError as exc:
                    raise ArtifactError(str(exc)) from None
            found = with_subpath(found, str(sub))
        except ArtifactError:
            if not art.get("optional"):
                raise
    return found


def clean_subpath(sub: str) -> str:
    """``sub`` as a clean relative POSIX path; absolute paths and ``..`` are refused."""
    if "\x00" in sub or "\\" in sub:
        raise ArtifactError(f"subPath {sub!r}: must be a plain relative path")
    if sub.startswith("/"):
        raise ArtifactError(f"subPath {sub!r}: must be relative to the artifact, not absolute")
    parts = [p for p in sub.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ArtifactError(f"subPath {sub!r}: must stay inside the artifact ('..' is refused)")
    return "/".join(parts)


def with_subpath(record: dict, sub: str) -> dict:
    """Argo's ``AppendToKey``: the artifact's key joined with ``sub`` (local, cluster and HTTP
    locations); raw and git artifacts have no key."""
    sub = clean_subpath(sub)
    if not sub:
        return record
    out = dict(record)
    if "local" in out:
        out["local"] = dict(out["local"] or {}, key=posixpath.join(str((out["local"] or {}).get("key", "")), sub))
        return out
    for loc, field in (("s3", "key"), ("gcs", "key"), ("oss", "key"), ("azure", "blob"), ("hdfs", "path")):
        if loc in out:
            out[loc] = dict(out[loc] or {}, **{field: posixpath.join(str((out[loc] or {}).get(field, "")), sub)})
            return out
    if "http" in out:
        from urllib.parse import urlsplit, urlunsplit
        url = urlsplit(str((out["http"] or {}).get("url", "")))
        out["http"] = dict(out["http"] or {}, url=urlunsplit(url._replace(path=posixpath.join(url.path or "/", sub))))
        return out
    kind = next((k for k in ("raw", "git", "artifactory") if k in out), "this")
    raise ArtifactError(f"subPath {sub!r}: key unsupported: a {kind} artifact has no key to add a subPath to")


def check_inside(record: dict, artifact_root: Path) -> None:
    """A local record whose key went through a ``subPath`` must still name something inside the
    artifact it came from (``<node id>/<name>``), links stored in the artifact followed."""
    key = str((record.get("local") or {}).get("key", ""))
    parts = key.split("/")
    if len(parts) <= 2:
        return
    base = (artifact_root / parts[0] / parts[1]).resolve()
    target = artifact_root.joinpath(*parts).resolve()
    if target != base and base not in target.parents:
        raise ArtifactError(f"artifact {record.get('name')!r}: subPath {'/'.join(parts[2:])!r} leaves the artifact "
                            "(through a link stored in it); refused")


def bind(art: dict, scope: Mapping, artifact_root: Path | None) -> dict:
    """One input artifact of a template being called, as ``process_inputs`` merged it with its
    argument (Argo: the caller's resolveArtifact, then ProcessArgs): the record the argument
    references, under the input's name, at the path and mode the template declares. An optional
    reference that does not resolve leaves the input as declared, with no source: it is then
    not supplied (Argo skips the argument). As in Argo a ``subPath`` only narrows a
    ``from``/``fromExpression`` reference."""
    if not any(art.get(k) for k in ("from", "fromExpression")):
        return art
    try:
        found = resolve(art, scope)
        if artifact_root is not None and art.get("subPath"):
            check_inside(found, artifact_root)
    except ArtifactError:
        if art.get("optional"):
            return {k: v for k, v in art.items() if k not in _REF_KEYS}
        raise
    rec = {k: v for k, v in found.items() if k not in ("path", "mode", "recurseMode", "globalName", *_REF_KEYS)}
    rec["name"] = art.get("name")
    for k in ("path", "mode", "recurseMode", "optional"):
        if art.get(k) is not None:
            rec[k] = art[k]
    return rec


def bind_all(arts: list[dict], scope: Mapping, artifact_root: Path | None) -> list[dict]:
    """:func:`bind` over a template's merged input artifacts."""
    return [bind(a, scope, artifact_root) for a in arts]


def input_records(inputs: dict) -> dict[str, str]:
    """``inputs.artifacts.NAME`` -> the bound record's JSON: what a steps/DAG template's own
    steps pass on with ``from: "{{inputs.artifacts.NAME}}"``."""
    out = {}
    for a in inputs.get("artifacts") or []:
        if a.get("name"):
            out[f"inputs.artifacts.{a['name']}"] = json.dumps(a, separators=(",", ":"))
    return out
