"""What Argo Server does to names, selectors and the objects it answers with.

Every name and namespace comes from a request path and is hostile: it is checked against
Kubernetes' rules (DNS-1123) before it reaches the store, and never becomes a path.
Label selectors use Kubernetes' syntax (``k=v``, ``k!=v``, ``k in (a,b)``, ``k notin (a)``,
``k``, ``!k``), field selectors the two fields a custom resource supports (``metadata.name``,
``metadata.namespace``), and ``fields`` is Argo's response cleaner (util/fields/fields.go).
"""
from __future__ import annotations

import copy
import re
from typing import Any

from ..phases import FINISHED
from ..spec.names import is_dns1123_label
from .errors import invalid

_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?", re.ASCII)          # DNS-1123 subdomain
_LABEL_KEY = r"(?:[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_LABEL_VALUE = r"(?:[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?"
_REQUIREMENT = re.compile(
    rf"\s*(?P<bang>!)?\s*(?P<key>{_LABEL_KEY})\s*(?:(?P<op>==|=|!=)\s*(?P<value>{_LABEL_VALUE})"
    rf"|(?<=\s)(?P<setop>in|notin)\s*\((?P<values>[^()]*)\))?\s*", re.ASCII)
MAX_SELECTOR = 4096

PHASE_LABEL = "workflows.argoproj.io/phase"
COMPLETED_LABEL = "workflows.argoproj.io/completed"


def check_name(name: Any, what: str = "name") -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name) or ".." in name:
        raise invalid(f"{what} {str(name)[:80]!r} is not a valid name (lowercase letters, digits, '-' and '.')")
    return name


def check_namespace(namespace: Any) -> str:
    if not is_dns1123_label(namespace):
        raise invalid(f"namespace {str(namespace)[:80]!r} is not a valid namespace (a DNS-1123 label)")
    return namespace


Requirement = tuple[str, str, tuple[str, ...]]   # key, op (= != in notin exists !), values


def parse_label_selector(text: str | None) -> list[Requirement]:
    """A Kubernetes label selector; raises InvalidArgument (400) when it does not parse."""
    if not text:
        return []
    if len(text) > MAX_SELECTOR:
        raise invalid("listOptions.labelSelector is too long")
    out: list[Requirement] = []
    pos = 0
    while pos < len(text):
        m = _REQUIREMENT.match(text, pos)
        end = m.end() if m else pos
        if not m or not m.group("key") or (end < len(text) and text[end] != ","):
            raise invalid(f"unable to parse requirement: {text[:200]!r}")
        key = m.group("key")
        if m.group("bang"):
            if m.group("op") or m.group("setop"):
                raise invalid(f"unable to parse requirement: {text[:200]!r}")
            out.append((key, "!", ()))
        elif m.group("op"):
            out.append((key, "!=" if m.group("op") == "!=" else "=", (m.group("value"),)))
        elif m.group("setop"):
            values = tuple(v.strip() for v in m.group("values").split(","))
            if any(not re.fullmatch(_LABEL_VALUE, v, re.ASCII) for v in values):
                raise invalid(f"invalid label value in {text[:200]!r}")
            out.append((key, m.group("setop"), values))
        else:
            out.append((key, "exists", ()))
        pos = end + 1 if end < len(text) else end
    if text.rstrip().endswith(","):
        raise invalid(f"unable to parse requirement: {text[:200]!r}: found '', expected: identifier")
    return out


def labels_match(labels: dict, selector: list[Requirement]) -> bool:
    for key, op, values in selector:
        have = key in labels
        value = labels.get(key)
        if op == "=" and value != values[0] or op == "!=" and have and value == values[0]:
            return False
        if op == "in" and value not in values or op == "notin" and have and value in values:
            return False
        if op == "exists" and not have or op == "!" and have:
            return False
    return True


def parse_field_selector(text: str | None) -> list[tuple[str, bool, str]]:
    """``metadata.name=x,metadata.namespace!=y`` -> [(field, equal?, value)]."""
    if not text:
        return []
    out = []
    for part in text.split(","):
        m = re.fullmatch(r"\s*(metadata\.name|metadata\.namespace)\s*(==|=|!=)\s*([-a-z0-9.]*)\s*", part, re.ASCII)
        if not m:
            raise invalid(f"field selector {part[:100]!r} is not supported: metadata.name or metadata.namespace, "
                          "with =, == or !=")
        out.append((m.group(1), m.group(2) != "!=", m.group(3)))
    return out


def fields_match(meta: dict, selector: list[tuple[str, bool, str]]) -> bool:
    for field, equal, value in selector:
        have = meta.get(field.split(".", 1)[1]) or ""
        if (have == value) != equal:
            return False
    return True


def decorate(wf: dict) -> dict:
    """The labels Argo's controller keeps on a Workflow: its phase, and ``completed`` once over
    (what ``argo list --running`` and the UI's filters select on)."""
    meta = wf.setdefault("metadata", {})
    phase = (wf.get("status") or {}).get("phase")
    labels = dict(meta.get("labels") or {})
    if phase:
        labels[PHASE_LABEL] = phase
    labels[COMPLETED_LABEL] = "true" if phase in FINISHED else "false"
    meta["labels"] = labels
    return wf


class Cleaner:
    """Argo's ``fields`` parameter: ``a.b,c`` keeps only those paths, ``-a.b,c`` drops them
    (util/fields/fields.go: the same prefix rules, so the same answers)."""

    def __init__(self, text: str | None):
        self.exclude = bool(text and text.startswith("-"))
        body = (text or "")[1:] if self.exclude else (text or "")
        self.fields = set(body.split(",")) if body else set()

    def without_prefix(self, prefix: str) -> "Cleaner":
        c = Cleaner(None)
        c.exclude = self.exclude
        c.fields = {f[len(prefix):] if f.startswith(prefix) else f for f in self.fields}
        return c

    def will_exclude(self, path: str) -> bool:
        if not self.fields:
            return False
        hit = any(path.startswith(f) or f.startswith(path) for f in self.fields)
        return self.exclude if hit else not self.exclude

    def clean(self, obj: dict) -> dict:
        if not self.fields:
            return obj
        obj = copy.deepcopy(obj)
        self._item([], obj)
        return obj

    def _item(self, path: list[str], item: Any) -> None:
        if isinstance(item, dict):
            for key in list(item):
                field_path = ".".join([*path, key])
                path_in = field_path in self.fields
                parent_in = path_in or any(f.startswith(field_path) for f in self.fields)
                if (self.exclude and not path_in) or (not self.exclude and parent_in):
                    if not path_in:
                        self._item([*path, key], item[key])
                else:
                    del item[key]
        elif isinstance(item, list):
            for value in item:
                self._item(path, value)


def without_nulls(value: Any) -> Any:
    """``value`` without null members: Go leaves an unset field out (or writes a zero time the
    SDK cannot read as a datetime), and the ``argo-workflows`` SDK refuses a null where its model
    wants a value (``finishedAt: null`` of a running workflow)."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def encode(value: Any) -> str:
    """The JSON text of an answer, as Argo would write it."""
    import json
    return json.dumps(without_nulls(value))
