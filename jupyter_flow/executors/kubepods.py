"""The Pod the ``kubernetes`` executor creates for a step, and how its output parameters come back.

``pod_manifest`` is exactly what is sent. ``dry_run_pods`` builds the Pod of every leaf template of
a workflow without running anything (unsubstituted ``{{...}}`` stay as text), so the tests can
validate all of them against the Kubernetes OpenAPI schema for every upstream example.
"""
from __future__ import annotations

import copy
import re
import shlex

from ..errors import JupyterFlowError
from .base import StepSpec

CONTAINER_FIELDS = ("resources", "volumeMounts", "imagePullPolicy", "securityContext", "ports", "envFrom",
                    "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "stdin", "tty",
                    "volumeDevices")
POD_FIELDS = ("nodeSelector", "tolerations", "affinity", "serviceAccountName", "priorityClassName",
              "schedulerName", "securityContext", "imagePullSecrets", "hostAliases", "dnsConfig", "dnsPolicy",
              "automountServiceAccountToken", "hostNetwork")   # not spec.priority: that one orders workflows


def _merge(base: dict, patch: dict) -> dict:
    """Strategic-merge-ish: dicts merge, containers merge by name, other lists replace."""
    out = dict(base)
    for k, v in patch.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        elif k == "containers" and isinstance(v, list) and isinstance(out.get(k), list):
            byname = {c.get("name"): c for c in out[k]}
            for c in v:
                byname[c.get("name")] = _merge(byname.get(c.get("name"), {}), c)
            out[k] = list(byname.values())
        else:
            out[k] = v
    return out


def output_paths(tmpl: dict) -> list[tuple[str, str]]:
    """Output parameters read from files: they travel back in the termination message."""
    return [(p["name"], p["valueFrom"]["path"]) for p in (tmpl.get("outputs") or {}).get("parameters") or []
            if (p.get("valueFrom") or {}).get("path")]


def parse_termination(message: str) -> dict[str, str]:
    """``name\\0value\\0...`` as written by the wrapper in ``pod_manifest``."""
    parts = (message or "").split("\0")
    return {parts[i]: parts[i + 1] for i in range(0, len(parts) - 1, 2)}


def _template_container(spec: StepSpec) -> dict:
    tmpl = spec.template
    if tmpl.get("containerSet"):   # one Pod per container of the set: its own fields
        cname = spec.step_name.rsplit(".", 1)[-1]
        return next((c for c in tmpl["containerSet"].get("containers") or [] if c.get("name") == cname), {})
    return tmpl.get("container") or tmpl.get("script") or {}


def _env(spec: StepSpec, c: dict) -> list[dict]:
    """The step's env; entries the template takes from the cluster (``valueFrom``) are passed through."""
    out, seen = [], set()
    for e in c.get("env") or []:
        name = e.get("name")
        if name in spec.env:
            out.append({"name": name, "value": spec.env[name]})
        elif e.get("valueFrom"):
            out.append(copy.deepcopy(e))
        else:
            out.append({"name": name, "value": str(e.get("value") or "")})
        seen.add(name)
    out += [{"name": k, "value": v} for k, v in spec.env.items() if k not in seen]
    return out


def _user_containers(tmpl: dict, key: str, main: dict) -> list[dict]:
    """Argo's sidecars / initContainers: Containers plus ``mirrorVolumeMounts`` (main's mounts copied)."""
    out = []
    for uc in tmpl.get(key) or []:
        uc = copy.deepcopy(uc)
        if uc.pop("mirrorVolumeMounts", False) and main.get("volumeMounts"):
            uc["volumeMounts"] = copy.deepcopy(main["volumeMounts"])
        out.append(uc)
    return out


RAW_VOLUME = "jupyter-flow-inputs"
RAW_DIR = "/tmp/jupyter-flow-inputs"   # in the init container only; any image with sh has /tmp


def raw_inputs(tmpl: dict) -> list[dict]:
    """Input artifacts with inline ``raw.data``: the only kind a Pod can get without an artifact repository."""
    return [a for a in (tmpl.get("inputs") or {}).get("artifacts") or [] if "raw" in a]


def _raw_artifacts(pod_spec: dict, container: dict, tmpl: dict, init_image: str) -> None:
    """Argo's layout: an init container writes each file into an emptyDir, main mounts it by subPath."""
    arts = raw_inputs(tmpl)
    if not arts:
        return
    env = [{"name": f"JF_RAW_{i}", "value": str((a.get("raw") or {}).get("data") or "")} for i, a in enumerate(arts)]
    script = "; ".join(f'printf "%s" "$JF_RAW_{i}" > {RAW_DIR}/{i}' for i in range(len(arts)))
    pod_spec.setdefault("initContainers", []).insert(0, {
        "name": "init-artifacts", "image": init_image, "command": ["sh", "-c", script], "env": env,
        "volumeMounts": [{"name": RAW_VOLUME, "mountPath": RAW_DIR}]})
    pod_spec.setdefault("volumes", []).append({"name": RAW_VOLUME, "emptyDir": {}})
    container.setdefault("volumeMounts", []).extend(
        {"name": RAW_VOLUME, "mountPath": a["path"], "subPath": str(i)} for i, a in enumerate(arts))


def pod_manifest(spec: StepSpec, namespace: str = "default", init_image: str = "busybox") -> dict:
    """The Pod for one step (what is sent; validated against the Kubernetes schema in the tests).

    ``init_image`` (with ``sh``) writes raw input artifacts before main starts (setting ``initImage``).
    """
    tmpl, wf = spec.template, spec.workflow
    wspec = wf.get("spec") or {}
    c = _template_container(spec)
    command, args = list(spec.command or []), list(spec.args)
    if spec.script is not None:
        command = command or ["sh"]
        args = ["-c", spec.script]   # sh, bash and python all take their source with -c
    outs = output_paths(tmpl)
    if outs:
        # run the step, then write the output files to the termination message (name\0value\0...)
        inner = " ".join(shlex.quote(a) for a in command + args) if command else '"$@"'
        collect = "; ".join(f'printf "%s\\0" {shlex.quote(name)}; cat {shlex.quote(path)} 2>/dev/null; printf "\\0"'
                            for name, path in outs)
        command, args = ["sh", "-c", f"{inner}; rc=$?; {{ {collect}; }} > /dev/termination-log; exit $rc"], []
    container: dict = {"name": "main", "image": spec.image}
    if command:
        container["command"] = command
    if args:
        container["args"] = args
    env = _env(spec, c)
    if env:
        container["env"] = env
    for key in CONTAINER_FIELDS:
        if c.get(key) is not None:
            container[key] = copy.deepcopy(c[key])
    if spec.working_dir:
        container["workingDir"] = spec.working_dir
    if outs:
        container["terminationMessagePath"] = "/dev/termination-log"
        container["terminationMessagePolicy"] = "File"
    pod_spec: dict = {"restartPolicy": "Never", "containers": [container] + _user_containers(tmpl, "sidecars", c)}
    init = _user_containers(tmpl, "initContainers", c)
    if init:
        pod_spec["initContainers"] = init
    volumes = (wspec.get("volumes") or []) + (tmpl.get("volumes") or [])
    if volumes:
        pod_spec["volumes"] = copy.deepcopy(volumes)
    for key in POD_FIELDS:
        value = tmpl.get(key) if tmpl.get(key) is not None else wspec.get(key)
        if value is not None and value != "" and value != {} and value != []:
            pod_spec[key] = copy.deepcopy(value)
    _raw_artifacts(pod_spec, container, tmpl, init_image)
    if spec.deadline is not None:
        pod_spec["activeDeadlineSeconds"] = max(1, int(spec.deadline))
    name = (wf.get("metadata") or {}).get("name", "")
    labels, annotations = {}, {}
    for meta in (wspec.get("podMetadata"), tmpl.get("metadata")):
        labels.update({k: str(v) for k, v in ((meta or {}).get("labels") or {}).items()})
        annotations.update({k: str(v) for k, v in ((meta or {}).get("annotations") or {}).items()})
    labels.update({"workflows.argoproj.io/workflow": name, "jupyter-flow/run": name})
    annotations.update({"workflows.argoproj.io/node-name": spec.step_name, "workflows.argoproj.io/node-id": spec.node_id})
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": spec.node_id, "namespace": namespace, "labels": labels, "annotations": annotations},
           "spec": pod_spec}
    for patch in (wspec.get("podSpecPatch"), tmpl.get("podSpecPatch")):
        if patch:
            import yaml
            try:
                value = yaml.safe_load(patch) if isinstance(patch, str) else patch
            except yaml.YAMLError as exc:
                raise JupyterFlowError(f"podSpecPatch is not valid YAML or JSON: {exc}") from None
            if not isinstance(value, dict):
                raise JupyterFlowError(f"podSpecPatch must be a mapping of Pod spec fields, got {patch!r}")
            pod["spec"] = _merge(pod["spec"], value)
    return pod


def _dns(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:40] or "x"


def dry_run_pods(workflow: dict, namespace: str = "default") -> list[tuple[str, dict]]:
    """(template name, Pod) for every leaf template that becomes a Pod, without running anything."""
    wf = copy.deepcopy(workflow)
    meta = wf.setdefault("metadata", {})
    meta.setdefault("name", (meta.get("generateName") or "dry-run-") + "xxxxx")
    wspec = wf.get("spec") or {}
    defaults = wspec.get("templateDefaults") or {}
    out = []
    if "{{" in str(wspec.get("podSpecPatch") or ""):   # only known once the run substitutes it
        wspec.pop("podSpecPatch")
    for i, tmpl in enumerate(wspec.get("templates") or []):
        tmpl = _merge(defaults, tmpl) if defaults else dict(tmpl)
        if "{{" in str(tmpl.get("podSpecPatch") or ""):
            tmpl.pop("podSpecPatch")
        containers = []
        if tmpl.get("container") or tmpl.get("script"):
            containers = [("", tmpl.get("container") or tmpl.get("script"))]
        elif tmpl.get("containerSet"):
            containers = [("." + c.get("name", ""), c) for c in tmpl["containerSet"].get("containers") or []]
        for suffix, c in containers:
            deadline = tmpl.get("activeDeadlineSeconds")
            spec = StepSpec(node_id=f"{_dns(meta['name'])}-{_dns(tmpl.get('name', 't'))}-{1000000 + i}",
                            step_name=tmpl.get("name", "") + suffix, image=c.get("image", ""),
                            command=c.get("command"), args=[str(a) for a in c.get("args") or []],
                            env={e["name"]: str(e.get("value", "")) for e in c.get("env") or [] if "valueFrom" not in e},
                            working_dir=c.get("workingDir"),
                            script=(c.get("source") or None) if "script" in tmpl else None,
                            deadline=int(deadline) if isinstance(deadline, int) or str(deadline).isdigit() else None,
                            template=tmpl, workflow=wf)
            out.append((tmpl.get("name", ""), pod_manifest(spec, namespace)))
    return out
