"""A compiled validator for the Draft 7 subset that Argo's schema uses.

``jsonschema`` is general and slow to import (its format module pulls optional packages:
``rfc3987_syntax`` alone builds dozens of grammars at import, seconds on a busy machine) and
walks a schema interpretively. Argo's schema needs only ``$ref``, ``allOf``, ``type``,
``properties``, ``additionalProperties``, ``items``, ``required``, ``enum`` and ``const``
(formats are not checked: the ``jsonschema`` validator was built without a format checker),
so each definition is compiled once into a closure. Errors carry the attributes
``schema._convert`` reads from a ``jsonschema.ValidationError`` (``validator``,
``validator_value``, ``instance``, ``absolute_path``, ``message``) with the same values;
``tests/spec/test_fastschema.py`` checks both agree on the upstream corpus and on broken
documents. Any keyword outside that subset makes ``compile_schema`` raise ``Unsupported``,
and ``schema.py`` falls back to ``jsonschema``.
"""
from __future__ import annotations

from typing import Any, Callable

Check = Callable[[Any, list, list], None]

_IGNORED = frozenset({"description", "title", "format", "default", "$schema", "$id", "definitions", "example",
                      "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-patch-strategy",
                      "x-kubernetes-patch-merge-key", "x-kubernetes-map-type", "x-kubernetes-group-version-kind",
                      "x-kubernetes-unions", "x-kubernetes-preserve-unknown-fields",
                      "x-kubernetes-int-or-string", "x-kubernetes-embedded-resource"})


class Unsupported(Exception):
    """The schema uses a keyword this compiler does not implement."""


class SchemaError:
    """The parts of ``jsonschema.ValidationError`` that ``schema._convert`` uses."""

    __slots__ = ("validator", "validator_value", "instance", "absolute_path", "message")

    def __init__(self, validator: str, value: Any, instance: Any, path: list, message: str):
        self.validator = validator
        self.validator_value = value
        self.instance = instance
        self.absolute_path = tuple(path)
        self.message = message


def _is_type(instance: Any, name: str) -> bool:
    # Draft 7 type semantics as jsonschema implements them (bool is not a number).
    if name == "string":
        return isinstance(instance, str)
    if name == "object":
        return isinstance(instance, dict)
    if name == "array":
        return isinstance(instance, list)
    if name == "boolean":
        return isinstance(instance, bool)
    if name == "integer":
        if isinstance(instance, bool):
            return False
        return isinstance(instance, int) or (isinstance(instance, float) and instance.is_integer())
    if name == "number":
        return isinstance(instance, (int, float)) and not isinstance(instance, bool)
    if name == "null":
        return instance is None
    raise Unsupported(f"type {name!r}")


_FAST_TYPES = {"string": str, "object": dict, "array": list}


def _equal(a: Any, b: Any) -> bool:
    """jsonschema's ``equal``: like ``==`` but booleans never equal numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return a == b


class Compiler:
    def __init__(self, definitions: dict):
        self.definitions = definitions
        self.compiled: dict[str, Check] = {}

    def ref(self, ref: str) -> Check:
        if not ref.startswith("#/definitions/"):
            raise Unsupported(f"$ref {ref!r}")
        name = ref[len("#/definitions/"):]
        if name not in self.definitions:
            raise Unsupported(f"unresolvable $ref {ref!r}")
        cache = self.compiled

        def check(instance, path, out):
            fn = cache.get(name)
            if fn is None:
                fn = cache[name] = self.compile(self.definitions[name])
            fn(instance, path, out)
        return check

    def compile(self, schema: Any) -> Check:
        if schema is True or schema == {}:
            return _nothing
        if not isinstance(schema, dict):
            raise Unsupported(f"schema {schema!r}")
        if "$ref" in schema:   # Draft 7: siblings of $ref are ignored
            return self.ref(schema["$ref"])
        checks: list[Check] = []
        for key, value in schema.items():
            if key in _IGNORED:
                continue
            maker = getattr(self, "k_" + key.replace("$", ""), None)
            if maker is None:
                raise Unsupported(f"keyword {key!r}")
            made = maker(value, schema)
            if made is not None:
                checks.append(made)
        if not checks:
            return _nothing
        if len(checks) == 1:
            return checks[0]
        checks_t = tuple(checks)

        def check(instance, path, out):
            for c in checks_t:
                c(instance, path, out)
        return check

    # -- keywords -------------------------------------------------------------------------------
    def k_type(self, value, schema) -> Check:
        names = [value] if isinstance(value, str) else list(value)
        for n in names:
            _is_type(None, n)   # raises Unsupported for unknown type names
        if len(names) == 1 and names[0] in _FAST_TYPES:
            pytype = _FAST_TYPES[names[0]]

            def check(instance, path, out):
                if not isinstance(instance, pytype):
                    out.append(SchemaError("type", value, instance, path,
                                           f"{instance!r} is not of type {names[0]!r}"))
            return check

        def check_any(instance, path, out):
            for n in names:
                if _is_type(instance, n):
                    return
            out.append(SchemaError("type", value, instance, path,
                                   f"{instance!r} is not of type {', '.join(repr(n) for n in names)}"))
        return check_any

    def k_properties(self, value, schema) -> Check:
        props = {name: self.compile(sub) for name, sub in value.items()}
        extra = schema.get("additionalProperties")
        extra_check = None
        if isinstance(extra, dict):
            extra_check = self.compile(extra)
        elif extra is False:
            raise Unsupported("additionalProperties: false")
        items = tuple(props.items())

        def check(instance, path, out):
            if not isinstance(instance, dict):
                return
            if len(instance) <= len(items):
                for key, value_ in instance.items():
                    fn = props.get(key)
                    if fn is None:
                        continue
                    path.append(key)
                    fn(value_, path, out)
                    path.pop()
            else:
                for key, fn in items:
                    if key in instance:
                        path.append(key)
                        fn(instance[key], path, out)
                        path.pop()
            if extra_check is not None:
                for key, value_ in instance.items():
                    if key not in props:
                        path.append(key)
                        extra_check(value_, path, out)
                        path.pop()
        return check

    def k_additionalProperties(self, value, schema) -> Check | None:
        if "properties" in schema:
            return None   # handled with properties
        if value is False:
            raise Unsupported("additionalProperties: false")
        if value is True:
            return None
        sub = self.compile(value)

        def check(instance, path, out):
            if not isinstance(instance, dict):
                return
            for key, value_ in instance.items():
                path.append(key)
                sub(value_, path, out)
                path.pop()
        return check

    def k_items(self, value, schema) -> Check:
        if not isinstance(value, dict):
            raise Unsupported("tuple items")
        sub = self.compile(value)
        if sub is _nothing:
            return _nothing

        def check(instance, path, out):
            if not isinstance(instance, list):
                return
            for i, item in enumerate(instance):
                path.append(i)
                sub(item, path, out)
                path.pop()
        return check

    def k_required(self, value, schema) -> Check:
        names = tuple(value)

        def check(instance, path, out):
            if not isinstance(instance, dict):
                return
            for name in names:
                if name not in instance:
                    out.append(SchemaError("required", value, instance, path, f"{name!r} is a required property"))
        return check

    def k_enum(self, value, schema) -> Check:
        values = list(value)

        def check(instance, path, out):
            for v in values:
                if _equal(instance, v):
                    return
            out.append(SchemaError("enum", value, instance, path, f"{instance!r} is not one of {values!r}"))
        return check

    def k_const(self, value, schema) -> Check:
        def check(instance, path, out):
            if not _equal(instance, value):
                out.append(SchemaError("const", value, instance, path, f"{value!r} was expected"))
        return check

    def k_allOf(self, value, schema) -> Check:
        subs = tuple(self.compile(s) for s in value)

        def check(instance, path, out):
            for s in subs:
                s(instance, path, out)
        return check


def _nothing(instance, path, out) -> None:
    return None


class Validator:
    """``iter_errors(instance)`` like a ``jsonschema`` validator, for the supported subset."""

    def __init__(self, schema: dict, definitions: dict):
        self._check = Compiler(definitions).compile(schema)

    def iter_errors(self, instance: Any) -> list[SchemaError]:
        out: list[SchemaError] = []
        self._check(instance, [], out)
        return out


def check_supported(definitions: dict) -> None:
    """Compile every definition eagerly: raises ``Unsupported`` if any keyword is unknown."""
    comp = Compiler(definitions)
    for name, sub in definitions.items():
        comp.compiled[name] = comp.compile(sub)
