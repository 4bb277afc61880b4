"""A container's environment and command line as the kubelet makes them, for steps run off-cluster.

Kubernetes (``kubelet_pods.go`` makeEnvironmentVariables, ``ExpandContainerCommandAndArgs``):

1. ``envFrom`` sources, in order: every key of the Secret/ConfigMap that is a valid variable name,
   with the source's ``prefix``; a later source overrides an earlier one;
2. ``env`` entries, in order: a ``value`` has its ``$(VAR)`` references expanded from what steps
   1-2 defined so far; a ``valueFrom`` value is taken as it is;
3. ``command`` and ``args`` have their ``$(VAR)`` references expanded from the final environment.

``$$`` is an escaped ``$`` and a reference to an undefined variable stays as written
(``third_party/forked/golang/expansion``).

There is no Secret or ConfigMap here: their values come from the local values file,
``$JUPYTER_FLOW_HOME/values.yaml``::

    secrets:
      my-secret: {password: s3cr3t}
    configMaps:
      my-config: {mode: fast}

A reference to one that the file does not hold is an error naming the file (or skipped when the
reference is ``optional``, as a missing Secret is on a cluster). Executors that make a real Pod
(``env_from_cluster``) get the template as written: the cluster does all of this itself.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping

from .. import config
from ..errors import JupyterFlowError
from ..executors.base import capabilities

VALUES_FILE = "values.yaml"
# utilvalidation.IsEnvVarName (a C identifier, plus '-' and '.'): other keys of an envFrom source
# are skipped by the kubelet (it records an InvalidEnvironmentVariableNames event)
_ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*\Z")
_KINDS = {"secretKeyRef": ("secrets", "Secret"), "configMapKeyRef": ("configMaps", "ConfigMap"),
          "secretRef": ("secrets", "Secret"), "configMapRef": ("configMaps", "ConfigMap")}
_cache: dict[Path, tuple[tuple[int, int], dict]] = {}


class EnvError(JupyterFlowError):
    """A container's environment cannot be made here (the node errors, as a pod that cannot start)."""


def expand(text: str, mapping: Mapping[str, str]) -> str:
    """Kubernetes' ``expansion.Expand``: ``$(NAME)`` -> ``mapping[NAME]``, ``$$`` -> ``$``."""
    cursor = text.find("$")
    if cursor < 0:
        return text
    out: list[str] = []
    checkpoint = 0
    last = len(text) - 1
    while 0 <= cursor < last:   # a `$` that ends the text is kept as it is
        out.append(text[checkpoint:cursor])
        nxt = text[cursor + 1]
        end = cursor + 1   # the last character this `$` consumed
        if nxt == "$":   # escaped operator
            out.append("$")
        elif nxt == "(":
            close = text.find(")", cursor + 2)
            if close < 0:   # incomplete reference: kept
                out.append("$(")
            else:
                name = text[cursor + 2:close]
                out.append(mapping[name] if name in mapping else f"$({name})")
                end = close
        else:   # a `$` that starts no reference: kept with the character after it
            out.append(text[cursor:cursor + 2])
        checkpoint = end + 1
        cursor = text.find("$", checkpoint)
    out.append(text[checkpoint:])
    return "".join(out)


def values_path() -> Path:
    return config.home() / VALUES_FILE


def local_values() -> dict:
    """The values file's ``{"secrets": {name: {key: value}}, "configMaps": {...}}`` ({} if none).

    Read again when the file changes (a notebook user edits it between runs).
    """
    path = values_path()
    try:
        st = path.stat()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise EnvError(f"cannot read {path}: {exc.strerror or exc}") from None
    stamp = (st.st_mtime_ns, st.st_size)
    hit = _cache.get(path)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    import yaml
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise EnvError(f"{path}: not a readable YAML file: {exc}") from None
    if not isinstance(data, dict):
        raise EnvError(f"{path}: expected a mapping with `secrets:` and/or `configMaps:`")
    out: dict = {}
    for section in ("secrets", "configMaps"):
        objs = data.get(section) or {}
        if not isinstance(objs, dict):
            raise EnvError(f"{path}: {section}: expected a mapping of names to {{key: value}}")
        out[section] = {}
        for name, keys in objs.items():
            if not isinstance(keys, dict) or any(isinstance(v, (dict, list)) for v in keys.values()):
                raise EnvError(f"{path}: {section}.{name}: expected a mapping of keys to strings")
            out[section][str(name)] = {_scalar(k): "" if v is None else _scalar(v) for k, v in keys.items()}
    _cache[path] = (stamp, out)
    return out


def _scalar(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _missing(step: str, what: str, kind: str, name: str, key: str | None = None, found: bool = False) -> EnvError:
    """The error of a reference the values file cannot answer (``found``: it has the object, not the key)."""
    section, noun = _KINDS[kind]
    example = f"{section}: {{{name}: {{{key or 'KEY'}: VALUE}}}}"
    held = f"has no key {key!r} in {noun} {name!r}" if found else f"has no {noun} {name!r}"
    ref = f"{name}/{key}" if key is not None else name
    return EnvError(f"step {step!r}: {what} comes from {kind} {ref}, which needs a cluster or a local value: "
                    f"{values_path()} {held}; add it there ({example}) or run with --backend argo "
                    "(or --backend kubernetes)")


def _source(values: dict, kind: str, name: str) -> dict | None:
    return (values.get(_KINDS[kind][0]) or {}).get(name)


def _downward(vf: dict, pod: dict, container: dict) -> str | None:
    """A fieldRef/resourceFieldRef answered locally (downward.py), or None."""
    from .downward import field_value, resource_value
    if isinstance(vf.get("fieldRef"), dict):
        return field_value(pod, str(vf["fieldRef"].get("fieldPath", "")))
    if isinstance(vf.get("resourceFieldRef"), dict):
        return resource_value(container, vf["resourceFieldRef"])
    return None


def container_env(container: dict, step: str, executor=None, pod: dict | None = None) -> dict[str, str]:
    """The container's environment (steps 1-2 above); raises :class:`EnvError` when a Secret or
    ConfigMap it needs is neither on a cluster nor in the values file."""
    entries = container.get("env") or []
    env_from = container.get("envFrom") or []
    if capabilities(executor).env_from_cluster:
        # the executor's Pod takes envFrom/valueFrom from the template (kubernetes backend)
        return {e["name"]: str(e.get("value") or "") for e in entries if "value" in e or not e.get("valueFrom")}
    env: dict[str, str] = {}
    values: dict | None = None
    for src in env_from:
        kind = "secretRef" if src.get("secretRef") is not None else "configMapRef"
        ref = src.get(kind) or {}
        if values is None:
            values = local_values()
        data = _source(values, kind, str(ref.get("name", "")))
        if data is None:
            if ref.get("optional"):
                continue
            raise _missing(step, "envFrom", kind, str(ref.get("name", "")))
        prefix = str(src.get("prefix") or "")
        for key, value in data.items():
            name = prefix + key
            if _ENV_NAME.match(name):
                env[name] = value
    for e in entries:
        name = e["name"]
        value = e.get("value")
        if value not in (None, ""):
            env[name] = expand(str(value), env)
            continue
        vf = e.get("valueFrom")
        if not vf:
            env[name] = ""
            continue
        kind = next((k for k in ("secretKeyRef", "configMapKeyRef") if vf.get(k) is not None), None)
        local = _downward(vf, pod, container) if kind is None and pod is not None else None
        if local is not None:
            env[name] = local
            continue
        if kind is None:
            src = next(iter(vf), "valueFrom")
            raise EnvError(f"step {step!r}: env {name} comes from {src}, which needs a cluster "
                           "(fieldRef/resourceFieldRef); run with --backend argo or set a value")
        ref = vf[kind] or {}
        if values is None:
            values = local_values()
        data = _source(values, kind, str(ref.get("name", "")))
        key = str(ref.get("key", ""))
        if data is None or key not in data:
            if ref.get("optional"):
                continue   # kubelet: an optional reference that is not there sets nothing
            raise _missing(step, f"env {name}", kind, str(ref.get("name", "")), key, found=data is not None)
        env[name] = data[key]
    return env


def config_map_value(ref: dict) -> tuple[str | None, str]:
    """(value, why there is none) of a parameter's ``configMapKeyRef`` in the values file, with
    Argo's GetConfigMapValue messages."""
    name, key = str(ref.get("name", "")), str(ref.get("key", ""))
    data = _source(local_values(), "configMapKeyRef", name)
    if data is None:
        return None, (f"ConfigMap '{name}' does not exist: there is no cluster here and {values_path()} has no "
                      f"ConfigMap {name!r}; add it there (configMaps: {{{name}: {{{key}: VALUE}}}}) or run with "
                      "--backend argo")
    if key not in data:
        return None, f"ConfigMap '{name}' does not have the key '{key}' (in {values_path()})"
    return data[key], ""


def expand_argv(items: list | None, env: Mapping[str, str]) -> list[str] | None:
    """``command``/``args`` with their ``$(VAR)`` references expanded from the container's env."""
    if items is None:
        return None
    return [expand(str(a), env) for a in items]
