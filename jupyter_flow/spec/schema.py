"""Structural validation against Argo's own JSON schema (vendored as ``_vendor/argo/schema.json``).

Using upstream's schema, rather than a hand-written one, means every field Argo knows is
accepted and typed as Argo types it. Two traps of that schema are corrected in memory
(see /work/shared/design/environment-notes.md):

- ``IntOrString`` is declared as string-only, but Argo (and Kubernetes) accept integers
  (``activeDeadlineSeconds: 10``, probe ``port: 80``); likewise ``Quantity`` accepts numbers
  (``cpu: 1``) and Argo's ``AnyString`` parameter values accept numbers and booleans.
- The schema never sets ``additionalProperties: false``, so a typo like ``contaner:`` would
  pass silently, whereas Argo's decoder rejects unknown fields. ``unknown_fields`` walks
  the data alongside the schema's ``properties`` and reports each unknown key with a
  "did you mean" suggestion.

Validation runs on ``fastschema``'s compiled closures (the schema's Draft 7 subset), so
``jsonschema`` (which costs 0.1 s to seconds to import) is imported only if the schema ever
needs a keyword outside that subset; each per-kind validator is built once and cached.
"""
from __future__ import annotations

import difflib
import json
import re
import threading
from pathlib import Path
from typing import Any, Iterator

from jupyter_flow.errors import LintError
from jupyter_flow.spec.document import Document

# vendored verbatim with its LICENSE and NOTICE (jupyter_flow/_vendor/argo/)
SCHEMA_FILE = Path(__file__).parents[1] / "_vendor" / "argo" / "schema.json"
_PREFIX = "io.argoproj.workflow.v1alpha1."
#: document kinds validated against the schema, and their definition names.
KINDS = {
    "Workflow": _PREFIX + "Workflow",
    "WorkflowTemplate": _PREFIX + "WorkflowTemplate",
    "ClusterWorkflowTemplate": _PREFIX + "ClusterWorkflowTemplate",
    "CronWorkflow": _PREFIX + "CronWorkflow",
    "WorkflowEventBinding": _PREFIX + "WorkflowEventBinding",
}
_SCALAR_ANY = ["string", "number", "boolean"]
_ENUMS = [
    (_PREFIX + "RetryStrategy", "retryPolicy", ["Always", "OnFailure", "OnError", "OnTransientError"]),
    (_PREFIX + "PodGC", "strategy",
     ["OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion", "OnWorkflowSuccess"]),
    (_PREFIX + "CronWorkflowSpec", "concurrencyPolicy", ["Allow", "Forbid", "Replace"]),
    (_PREFIX + "ResourceTemplate", "action", ["create", "apply", "get", "delete", "patch", "replace"]),
    ("io.k8s.api.core.v1.Container", "imagePullPolicy", ["Always", "IfNotPresent", "Never"]),
    (_PREFIX + "UserContainer", "imagePullPolicy", ["Always", "IfNotPresent", "Never"]),
    (_PREFIX + "ScriptTemplate", "imagePullPolicy", ["Always", "IfNotPresent", "Never"]),
]

_lock = threading.Lock()
_definitions: dict | None = None
_validators: dict[str, Any] = {}


def definitions() -> dict:
    """Argo's schema definitions, with the corrections described in the module docstring."""
    global _definitions
    if _definitions is None:
        with _lock:
            if _definitions is None:
                defs = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))["definitions"]
                _patch(defs)
                _definitions = defs
    return _definitions


def _patch(defs: dict) -> None:
    defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = {
        "description": "IntOrString: an integer or a string (Argo/Kubernetes accept both).",
        "type": ["integer", "string"],
    }
    defs["io.k8s.apimachinery.pkg.api.resource.Quantity"] = {
        "description": "Quantity: a number or a string such as 500m or 1Gi.",
        "type": ["string", "number"],
    }
    # Argo runs a script template without ``source`` as a plain container (upstream e2e
    # tests rely on it), although the schema lists it as required.
    script = defs[_PREFIX + "ScriptTemplate"]
    script["required"] = [r for r in script.get("required", []) if r != "source"]
    # The upstream schema has no enums at all; add the ones whose typos silently change
    # behaviour. Templated values ("{{...}}") are exempted when errors are converted.
    for name, prop, values in _ENUMS:
        props = defs[name]["properties"]
        props[prop] = {**props[prop], "enum": values + [""]}  # "" = Go zero value = default
    param = defs[_PREFIX + "Parameter"]["properties"]
    for key in ("value", "default"):
        param[key] = {**param[key], "type": _SCALAR_ANY}
    param["enum"] = {**param["enum"], "items": {"type": _SCALAR_ANY}}
    # ValueFrom.Default is an AnyString too (``default: false`` on a supplied output).
    value_from = defs[_PREFIX + "ValueFrom"]["properties"]
    value_from["default"] = {**value_from["default"], "type": _SCALAR_ANY}


def _validator(kind: str, *, generic: bool = False) -> Any:
    """The Draft 7 validator for ``kind``, compiled on first use and cached.

    By default the compiled validator of ``fastschema`` (no ``jsonschema`` import, several
    times faster); ``generic=True`` gives ``jsonschema``'s, used when the schema has a keyword
    ``fastschema`` does not implement.
    """
    key = kind + ("/jsonschema" if generic else "")
    validator = _validators.get(key)
    if validator is None:
        schema = {"allOf": [{"$ref": "#/definitions/" + KINDS[kind]}], "definitions": definitions()}
        if generic:
            import jsonschema  # lazy: keeps ``import jupyter_flow.spec`` light

            validator = jsonschema.Draft7Validator(schema)
        else:
            from jupyter_flow.spec.fastschema import Validator

            validator = Validator(schema, schema["definitions"])
        with _lock:
            validator = _validators.setdefault(key, validator)
    return validator


def _schema_violations(kind: str, data: Any) -> list:
    from jupyter_flow.spec.fastschema import Unsupported

    try:
        return _validator(kind).iter_errors(data)
    except Unsupported:
        return list(_validator(kind, generic=True).iter_errors(data))


def schema_errors(doc: Document) -> list[LintError]:
    """Type/required/enum errors plus unknown fields for an Argo document; [] for other kinds."""
    kind = doc.kind
    if kind not in KINDS:
        return []
    errors = [
        _convert(doc, err)
        for err in _schema_violations(kind, doc.data)
        if not (err.validator == "enum" and isinstance(err.instance, str) and "{{" in err.instance)
    ]
    root = {"$ref": "#/definitions/" + KINDS[kind]}
    for path, key, known in unknown_fields(doc.data, root):
        hint = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        message = f'unknown field "{key}"'
        if hint:
            message += f", did you mean {hint[0]}?"
        errors.append(doc.error(path, message))
    return errors


# --- unknown fields --------------------------------------------------------------------

def _resolve(schema: dict) -> dict:
    defs = definitions()
    seen = 0
    while "$ref" in schema and seen < 32:
        schema = defs.get(schema["$ref"].rsplit("/", 1)[-1], {})
        seen += 1
    return schema


def unknown_fields(data: Any, schema: dict, path: tuple = ()) -> Iterator[tuple[tuple, str, list[str]]]:
    """Yield ``(path, key, known_keys)`` for each key the schema does not declare.

    Follows ``$ref``, ``properties``, ``additionalProperties`` and ``items``; stops where
    the schema says nothing (free-form values such as loop ``Item``s or plugin bodies).
    Iterative, so deep documents cannot exhaust the Python stack.
    """
    todo = [(data, schema, path)]
    while todo:
        value, sub, where = todo.pop()
        sub = _resolve(sub)
        if isinstance(value, dict):
            props = sub.get("properties")
            extra = sub.get("additionalProperties")
            for key, item in value.items():
                if props is not None and key in props:
                    todo.append((item, props[key], where + (key,)))
                elif isinstance(extra, dict):
                    todo.append((item, extra, where + (key,)))
                elif props is not None and extra is None:
                    yield where + (key,), key, sorted(props)
        elif isinstance(value, list):
            items = sub.get("items")
            if isinstance(items, dict):
                todo.extend((item, items, where + (i,)) for i, item in enumerate(value))


# --- jsonschema error -> LintError ------------------------------------------------------

_TYPE_NAMES = {
    "array": "a list",
    "object": "a mapping",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "null": "null",
}
_REQUIRED = re.compile(r"^'(.+)' is a required property$")


def describe(value: Any) -> str:
    """How a value reads in a message: ``a string``, ``a list``, ``null``..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _quote(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (str, int, float, bool)) or value is None else repr(value)


def _convert(doc: Document, err: Any) -> LintError:
    path = tuple(err.absolute_path)
    validator = err.validator
    if validator == "type":
        expected = err.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        want = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
        return doc.error(path, f"expected {want}, got {describe(err.instance)}", at_value=True)
    if validator == "required":
        match = _REQUIRED.match(err.message)
        field_ = match.group(1) if match else err.message
        return doc.error(path, f'missing required field "{field_}"')
    if validator == "enum":
        options = ", ".join(_quote(v) for v in err.validator_value if v != "")
        return doc.error(path, f"expected one of {options}, got {_quote(err.instance)}", at_value=True)
    if validator == "const":
        return doc.error(path, f"expected {_quote(err.validator_value)}, got {_quote(err.instance)}", at_value=True)
    return doc.error(path, err.message, at_value=True)
