"""The volumes a step mounts when it runs on this machine (local, container and dask backends).

Argo mounts what a pod's ``volumeMounts`` name from the template's or the workflow's
``volumes`` and ``volumeClaimTemplates``. Locally:

* a claim made by ``volumeClaimTemplates`` is one directory per run
  (``runs/<run>/volumes/<name>``), shared by every step that mounts it, as the PVC is;
* an existing ``persistentVolumeClaim`` is one directory per claim name
  (``$JUPYTER_FLOW_HOME/volumes/<claimName>``), kept between runs as the claim is;
* a ``hostPath`` is bound only when ``allowHostPaths`` in config.yaml names it (or a parent):
  a workflow from elsewhere must not get ``-v /:/host``; otherwise the step errors, naming it;
* ``emptyDir`` is an empty directory of the step's Pod (shared by its init containers, sidecars
  and main); kinds with no local meaning (configMap, secret...) are an empty directory private
  to the step.

Claim names are checked as Kubernetes checks object names, so none names a path elsewhere.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..executors.stepfs import (StepPathError, VolumeMount, allowed_host_path, claim_name, normalise,
                                resolve_under)

_FILE_TYPES = ("File", "FileOrCreate", "Socket", "CharDevice", "BlockDevice")
ACCESS_MODES = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")


def step_volumes(mounts: list, tmpl: dict, workflow: dict, *, step: str, run_dir: Path,
                 pod_dir: Path | None = None) -> list[VolumeMount]:
    """The ``mounts`` (volumeMounts entries, paths already normalised) as host bindings.

    With ``pod_dir`` (the step's Pod), an ``emptyDir`` is ``pod_dir/emptyDir/<name>``: one empty
    directory shared by the Pod's init containers, sidecars and main, as a Pod's emptyDir is."""
    if not mounts:
        return []
    spec = workflow.get("spec") or {}
    declared = {v.get("name"): v for v in (spec.get("volumes") or []) + (tmpl.get("volumes") or [])
                if isinstance(v, dict)}
    claims = {((t.get("metadata") or {}).get("name")): t for t in spec.get("volumeClaimTemplates") or []
              if isinstance(t, dict)}
    out = []
    for m in mounts:
        if not isinstance(m, dict) or not m.get("mountPath"):
            continue
        name = str(m.get("name") or "")
        read_only = bool(m.get("readOnly"))
        vol = declared.get(name)
        source: Path | None = None
        if vol is None and name in claims:
            _check_claim(claims[name], name, workflow)
            source = run_dir / "volumes" / claim_name(name, step=step, what="volumeClaimTemplates name")
        elif vol is not None and "persistentVolumeClaim" in vol:
            pvc = vol.get("persistentVolumeClaim") or {}
            from ..config import home
            from ..store.paths import private_dir
            # a claim's data is the user's alone even in a shared home (runs/ is private either way)
            source = private_dir(home() / "volumes") / claim_name(pvc.get("claimName"), step=step,
                                                     what=f"volume {name!r} claimName")
            read_only = read_only or bool(pvc.get("readOnly"))
        elif vol is not None and "hostPath" in vol:
            source = _host_path(vol.get("hostPath") or {}, name, step)
        elif vol is not None and "emptyDir" in vol and pod_dir is not None:
            source = pod_dir / "emptyDir" / claim_name(name, step=step, what="emptyDir volume name")
        if source is not None and m.get("subPath"):
            sub = normalise("/" + str(m["subPath"]), step=step, what=f"volume {name!r} subPath", parent_refs=False)
            source = resolve_under(source, sub, step=step)
        if source is not None and not os.path.lexists(source):
            if not ("hostPath" in (vol or {}) and (vol["hostPath"] or {}).get("type") in _FILE_TYPES):
                try:
                    source.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StepPathError(f"step {step!r}: cannot make the directory of volume {name!r} "
                                        f"({source}): {exc.strerror or exc}") from None
        out.append(VolumeMount(name, m["mountPath"], str(source) if source is not None else None, read_only))
    return out


def _check_claim(claim: dict, name: str, workflow: dict) -> None:
    """What Kubernetes refuses when Argo creates the claim: an unknown access mode."""
    modes = (claim.get("spec") or {}).get("accessModes") or []
    bad = [m for m in modes if m not in ACCESS_MODES]
    if bad:
        pvc = f"{(workflow.get('metadata') or {}).get('name') or ''}-{name}".lstrip("-")
        raise StepPathError(f"pvc create error: PersistentVolumeClaim {pvc!r} is invalid: spec.accessModes: "
                            f"Unsupported value: {bad[0]!r}: supported values: {', '.join(ACCESS_MODES)}")


def _host_path(host: dict, name: str, step: str) -> Path:
    from ..config import allowed_host_paths, home
    path = normalise(host.get("path"), step=step, what=f"volume {name!r} hostPath", parent_refs=False)
    if not allowed_host_path(path, allowed_host_paths()):
        raise StepPathError(f"step {step!r}: volume {name!r} is hostPath {path!r}, which this machine does not "
                            f"allow: a hostPath volume binds a host directory into the step; to allow it, list "
                            f"it (or a parent) under allowHostPaths in {home() / 'config.yaml'}")
    return Path(path)
