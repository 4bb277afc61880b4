"""The compiled validator (``spec.fastschema``) reports exactly what ``jsonschema`` reports."""
from __future__ import annotations

import copy
import random
import subprocess
import sys

import pytest

from jupyter_flow.spec import load
from jupyter_flow.spec.fastschema import check_supported
from jupyter_flow.spec.schema import KINDS, _validator, definitions

from .conftest import E2E, EXAMPLES


def _key(err):
    return (tuple(err.absolute_path), err.validator, repr(err.validator_value), repr(err.instance),
            err.message if err.validator == "required" else "")


def _same(kind, data):
    fast = sorted(map(_key, _validator(kind).iter_errors(data)))
    slow = sorted(map(_key, _validator(kind, generic=True).iter_errors(data)))
    assert fast == slow
    return fast


def _corpus():
    docs = []
    for folder in (EXAMPLES, E2E):
        for path in sorted(folder.glob("*.yaml")):
            try:
                docs.extend(d for d in load(path) if d.kind in KINDS)
            except Exception:   # a deliberately broken file: the loader tests cover it
                continue
    return docs


def test_the_argo_schema_is_fully_supported():
    check_supported(definitions())   # raises Unsupported if a keyword is missing


def test_corpus_agrees_with_jsonschema():
    docs = _corpus()
    assert docs, "no upstream documents"
    for doc in docs:
        _same(doc.kind, doc.data)


_BAD_VALUES = ["text", 3, 2.5, True, None, [], ["a", 1], {}, {"x": 1}, "{{inputs.parameters.x}}", 1.0]


def _mutations(data, rng, count):
    """Documents with one value replaced by a wrong-typed one, or one key removed."""
    paths = []

    def walk(value, path):
        paths.append(path)
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, path + (k,))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, path + (i,))
    walk(data, ())
    for _ in range(count):
        path = rng.choice(paths[1:])
        doc = copy.deepcopy(data)
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        if rng.random() < 0.2 and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(rng.choice(_BAD_VALUES))
        yield doc


def test_broken_documents_agree_with_jsonschema():
    docs = _corpus()[:60]
    assert docs, "no upstream documents"
    rng = random.Random(7)
    seen_errors = 0
    for doc in docs:
        for broken in _mutations(doc.data, rng, 15):
            seen_errors += bool(_same(doc.kind, broken))
    assert seen_errors > 100   # the mutations did hit typed fields


def test_submit_path_never_imports_jsonschema(tmp_path):
    code = ("import sys, jupyter_flow.spec as s; "
            "d = s.load('apiVersion: argoproj.io/v1alpha1\\nkind: Workflow\\nmetadata: {generateName: a-}\\n"
            "spec:\\n  entrypoint: m\\n  templates:\\n  - name: m\\n    container: {image: alpine, args: x}\\n')[0]; "
            "errs = s.validate(d); print(len(errs), 'jsonschema' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["1", "False"]
