"""``--cache`` on ``--backend argo``: the content step cache becomes Argo's own ``memoize``.

Each container/script template without ``memoize`` (and not opted out) gets
``memoize: {key, maxAge, cache: {configMap: {name: jupyter-flow-cache}}}``. Argo's ConfigMap cache
accepts only keys matching ``^[a-zA-Z0-9][-a-zA-Z0-9]*$``, so the key is ``jf<format>-`` plus a
digest of the template's definition and, for a template with input parameters, the sha256 of
their JSON (``{{=sprig.sha256sum(toJson(inputs.parameters))}}``, evaluated by the controller
when the step runs). Argo cannot digest an input artifact's content before the pod runs, so a
template with input artifacts is left without ``memoize`` (it always runs).
"""
from __future__ import annotations

import hashlib
import json

from ...engine.stepcache import FORMAT, opted_out

CONFIG_MAP = "jupyter-flow-cache"
MAX_AGE = "8760h"   # Argo requires maxAge; a year: entries stay until the ConfigMap is cleared


def template_key(tmpl: dict) -> str:
    """The cache key (an Argo template string) of a leaf template."""
    body = {k: v for k, v in tmpl.items() if k not in ("metadata",)}
    digest = hashlib.sha256(json.dumps({"v": FORMAT, "backend": "argo", "template": body}, sort_keys=True,
                                       separators=(",", ":")).encode()).hexdigest()[:32]
    key = f"jf{FORMAT}-{digest}"
    if (tmpl.get("inputs") or {}).get("parameters"):
        key += "-{{=sprig.sha256sum(toJson(inputs.parameters))}}"
    return key


def add_memoize(workflow: dict) -> dict:
    """Give ``workflow``'s (a copy's) cacheable leaf templates Argo ``memoize``; returns it."""
    for tmpl in (workflow.get("spec") or {}).get("templates") or []:
        if not isinstance(tmpl, dict) or not ("container" in tmpl or "script" in tmpl):
            continue
        if opted_out(tmpl) or (tmpl.get("inputs") or {}).get("artifacts"):
            continue
        tmpl["memoize"] = {"key": template_key(tmpl), "maxAge": MAX_AGE,
                           "cache": {"configMap": {"name": CONFIG_MAP}}}
    return workflow
