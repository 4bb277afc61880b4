"""Debug a node in the kernel: the code of a cell that reproduces one step of a stored run.

``debug(run, node)`` re-resolves the node's template from the Workflow stored with the run, with
the node's recorded inputs, through the engine's own scope (the run's globals, ``inputs.*``,
``pod.name``...) and ``expr.substitute`` (never eval), and returns cell text:

* a Python ``script`` step: its source *after* Argo's ``{{...}}`` substitution, which is what
  the step ran (so the same output and the same exception). Values are part of that code, as
  they were in the step: a warning comment says so. Everything else the cell adds (input values,
  environment, artifact paths) is a ``repr()`` literal, never raw text, so no value can leave a
  string or a comment. Input artifacts are mapped ``ARTIFACTS = {step path: local copy}``; a
  string literal in the source that is exactly a step path is rewritten to the local copy (found
  with ``tokenize``, so only whole literals, never text inside other strings); any other use of
  the path is left as written, and the header says so;
* a Hera runner step (``python -m hera.workflows.runner -e module:function``): an import of the
  function and a call with the node's inputs, decoded as Hera's runner does (the text for a
  parameter annotated ``str``, else its JSON value);
* a papermill step (``notebook/steps.py``): the executed notebook's stored copy and the index of
  the cell that failed, shown with its source and error;
* any other container or script step: a ``%%bash`` cell, runnable in a terminal without its first
  line: ``cd`` to the working directory the step had here, ``env -i`` with the container's
  environment (each word ``shlex.quote``d) and the host command line the local executor ran.

Secret and ConfigMap environment values are not copied into the cell (a notebook is shared): the
cell names them and reads them from the kernel's or the shell's environment instead.
"""
from __future__ import annotations

import copy
import io
import json
import os
import re
import shlex
import tokenize
from types import SimpleNamespace
from typing import Any

from .errors import JupyterFlowError

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
NOTEBOOK_LIMIT = 64 * 1024 * 1024   # bytes of an executed notebook read to find its failing cell


def debug(run: Any, node: str, *, store: Any = None) -> str:
    """The code of a cell that reproduces ``node`` (id, name or display name) of ``run`` (a
    ``Run`` or a run name) in the kernel; see the module docstring for what each kind gives."""
    from . import api
    if not isinstance(run, api.Run):
        run = api.get(str(run), store=store)
    step = resolve(run, node)
    kind = step.kind
    if kind == "python":
        return python_cell(step)
    if kind == "hera":
        return hera_cell(step)
    if kind == "papermill":
        return papermill_cell(step)
    return bash_cell(step)


class _NoExecutor:
    """Stands in for an executor: nothing runs, and the controller makes no directories."""

    creates_dirs = True


def resolve(run: Any, selector: str) -> SimpleNamespace:
    """The node's template substituted as the engine substituted it when the step started."""
    from . import expr
    from .api import registry_for
    from .engine.controller import Controller
    from .engine.pods import pod_scope
    from .engine.nodes import Node
    from .engine.templates import TemplateError, input_scope
    from .errors import ExprError
    from .executors.stepfs import StepPathError, normalise_template
    node = run.node(selector)
    if node.get("type") != "Pod":
        raise JupyterFlowError(f"node {node.get('displayName')!r} of {run.name} is a {node.get('type')} node: "
                               "debug a step that ran a container or a script (a Pod node)")
    rec = run._record()
    nodes = run.nodes
    store = run._store
    ctl = Controller(copy.deepcopy(rec.workflow), name=rec.name, store=store, executor=_NoExecutor(), uid=rec.uid,
                     registry=registry_for(store))
    ctl.started_at = rec.started_at or rec.created_at
    from .engine import workflowvars
    workflowvars.init_globals(ctl)
    workflowvars.apply_workflow_metadata(ctl)
    for p in (rec.status.get("outputs") or {}).get("parameters") or []:
        ctl.globals[f"workflow.outputs.parameters.{p.get('name')}"] = str(p.get("value", ""))
    holder = {"templateRef": node["templateRef"]} if node.get("templateRef") else {"template": node.get("templateName")}
    if not holder.get("templateRef") and not holder.get("template"):
        raise JupyterFlowError(f"node {node.get('displayName')!r}: its template is inline in its step; "
                               "debug works on named templates")
    try:
        tmpl = ctl.tmpl_ctx.resolve(holder)[0]
    except TemplateError as exc:
        raise JupyterFlowError(f"node {node.get('displayName')!r}: {exc}") from None
    inputs, extra = node.get("inputs"), {}
    parent = next((n for n in nodes.values() if node["id"] in (n.get("children") or []) and n.get("type") == "Retry"),
                  None)
    if parent is not None:   # an attempt: its inputs are its Retry node's, {{retries}} its number
        inputs = inputs or parent.get("inputs")
        attempt = node.get("name", "")[:-1].rpartition("(")[2]
        extra["retries"] = attempt if attempt.isdigit() else "0"
    inputs = inputs or {}
    local = dict(input_scope(inputs), **extra)
    shell = Node(id=node["id"], name=node.get("name", ""), display_name=node.get("displayName", ""), type="Pod",
                 template_name=node.get("templateName", ""), template_ref=node.get("templateRef"))
    scope = ctl.scope(pod_scope(SimpleNamespace(ctl=ctl, tmpl=tmpl), shell, local))
    try:
        tmpl = expr.substitute_obj(tmpl, scope)
    except ExprError as exc:
        raise JupyterFlowError(f"node {node.get('displayName')!r}: {exc}") from None
    try:
        tmpl = normalise_template(tmpl, shell.display_name)
    except StepPathError:
        pass   # the step errored on it too; the cell shows the paths as written
    box = tmpl.get("script") if isinstance(tmpl.get("script"), dict) else tmpl.get("container")
    if not isinstance(box, dict):
        raise JupyterFlowError(f"node {node.get('displayName')!r}: debug works on container and script steps")
    return SimpleNamespace(run=rec.name, node=node, tmpl=tmpl, box=box, inputs=inputs,
                           kind=_kind(tmpl, box), artifacts=_input_artifacts(tmpl, inputs, ctl.artifact_root),
                           node_dir=ctl.nodes_dir / node["id"], work_dir=ctl.run_dir / "work",
                           artifact_root=ctl.artifact_root)


def _kind(tmpl: dict, box: dict) -> str:
    command = [str(c) for c in box.get("command") or []]
    args = [str(a) for a in box.get("args") or []]
    words = command + args
    if "script" in tmpl:
        if "hera.workflows.runner" in args and any(a in ("-e", "--entrypoint") for a in args):
            return "hera"
        exe = os.path.basename(command[0]) if command else ""
        if exe in ("python", "python3") or re.match(r"^python3\.\d+$", exe):
            return "python"
        return "shell"
    if any(words[i] == "-m" and words[i + 1] == "papermill" for i in range(len(words) - 1)):
        return "papermill"
    return "container"


def _input_artifacts(tmpl: dict, inputs: dict, root) -> list[dict]:
    """Each input artifact: its path in the step and where its content is on this machine."""
    from .artifacts import _inside
    declared = {a.get("name"): a.get("path") for a in (tmpl.get("inputs") or {}).get("artifacts") or []
                if isinstance(a, dict)}
    found = []
    for art in inputs.get("artifacts") or []:
        step_path = declared.get(art.get("name")) or art.get("path") or ""
        local = raw = None
        if "local" in art:
            local = _inside(root, str((art.get("local") or {}).get("key") or ""))
        elif "raw" in art:
            raw = str((art.get("raw") or {}).get("data", ""))
        where = next((k for k in art if k not in ("name", "path", "mode", "optional", "recurseMode", "local", "raw")),
                     "")
        found.append({"name": str(art.get("name", "")), "path": str(step_path),
                      "local": str(local) if local is not None else None, "raw": raw, "elsewhere": where})
    return found


def _env(box: dict) -> tuple[dict[str, str], list[str]]:
    """The container's plain ``env`` values ($(VAR) expanded as the kubelet does) and the names
    of the variables that come from Secrets or ConfigMaps, which the cell does not copy."""
    from .engine.podenv import expand
    env: dict[str, str] = {}
    withheld: list[str] = []
    for e in box.get("env") or []:
        if not isinstance(e, dict) or not e.get("name"):
            continue
        if e.get("valueFrom"):
            withheld.append(str(e["name"]))
        else:
            env[str(e["name"])] = expand(str(e.get("value") or ""), env)
    if box.get("envFrom"):
        withheld.append("(envFrom: " + ", ".join(str((s.get("secretRef") or s.get("configMapRef") or {}).get("name"))
                                                for s in box["envFrom"] if isinstance(s, dict)) + ")")
    return env, withheld


def _header(step, what: str) -> list[str]:
    node = step.node
    lines = [f"# jupyter-flow debug: node {node.get('displayName', '')!r} ({node.get('id', '')}) of run {step.run!r},",
             f"# template {node.get('templateName') or (node.get('templateRef') or {}).get('template', '')!r}, "
             f"phase {node.get('phase', '')}, {what}"]
    if node.get("message"):
        lines.append(f"# its message: {node['message']!r}")
    return lines


def _inputs_literal(step) -> str:
    params = {str(p.get("name")): str(p.get("value", "")) for p in step.inputs.get("parameters") or []}
    return f"INPUTS = {params!r}   # the step's input parameters, as text"


def _rewrite_paths(source: str, mapping: dict[str, str]) -> tuple[str, int]:
    """``source`` with every string literal that is exactly a key of ``mapping`` replaced by the
    ``repr`` of its value; (source unchanged, 0) when it is not Python ``tokenize`` can read."""
    if not mapping:
        return source, 0
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return source, 0
    lines = source.splitlines(keepends=True)
    changes = []
    for tok in tokens:
        text = tok.string
        if tok.type != tokenize.STRING or len(text) < 2 or text[0] not in "'\"" or text[-1] != text[0] \
                or text.startswith(text[0] * 3):
            continue
        inner = text[1:-1]
        if inner in mapping and "\\" not in inner and tok.start[0] == tok.end[0]:
            changes.append((tok.start, tok.end, repr(mapping[inner])))
    for (row, col), (_, end), new in reversed(changes):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + new + line[end:]
    return "".join(lines), len(changes)


def python_cell(step) -> str:
    """A Python script step: the substituted source with its inputs, env and artifacts set up."""
    out = _header(step, "a Python script step.")
    out += ["# WARNING: the code below the line is the step's source after Argo's {{...}} substitution:",
            "# input values written into it are code here as they were in the step. Read it before running.",
            _inputs_literal(step)]
    mapping = _artifact_lines(step, out)
    env, withheld = _env(step.box)
    if env or withheld:
        out.append(f"ENV = {env!r}   # the container's env")
        if withheld:
            out.append(f"# from Secrets/ConfigMaps, not copied here (set them yourself): {withheld!r}")
        out += ["import os as _os", "_os.environ.update(ENV)"]
    source = str(step.box.get("source") or "")
    source, rewritten = _rewrite_paths(source, mapping)
    if mapping:
        out.append(f"# {rewritten} string literal(s) naming an artifact's step path now name its local copy; "
                   "other uses of those paths are as written: use ARTIFACTS[path]")
    out += ["# " + "-" * 78, source.rstrip("\n")]
    return "\n".join(out) + "\n"


def _artifact_lines(step, out: list[str]) -> dict[str, str]:
    """Add ``ARTIFACTS = {step path: local path}`` (raw artifacts written to a temp dir by the
    cell); returns the mapping known now (for rewriting literals)."""
    if not step.artifacts:
        return {}
    mapping = {a["path"]: a["local"] for a in step.artifacts if a["local"]}
    out.append(f"ARTIFACTS = {mapping!r}   # input artifacts: the step's path -> the stored copy here")
    raws = [a for a in step.artifacts if a["raw"] is not None]
    if raws:
        out += ["import os as _os, tempfile as _tempfile", "_raw_dir = _tempfile.mkdtemp(prefix='jf-debug-')"]
        for i, a in enumerate(raws):
            out.append(f"ARTIFACTS[{a['path']!r}] = _os.path.join(_raw_dir, 'artifact-{i}')")
            out.append(f"with open(ARTIFACTS[{a['path']!r}], 'w') as _f:\n    _f.write({a['raw']!r})")
            mapping[a["path"]] = None   # its local path is only known when the cell runs
    for a in step.artifacts:
        if a["local"] is None and a["raw"] is None:
            out.append(f"# input artifact {a['name']!r} ({a['path']!r}) is stored in {a['elsewhere'] or 'nowhere'!r},"
                       " not on this machine")
    return {k: v for k, v in mapping.items() if v}


def hera_cell(step) -> str:
    """A Hera runner step: import the function and call it with the node's inputs."""
    args = [str(a) for a in step.box.get("args") or []]
    entry = next((args[i + 1] for i in range(len(args) - 1) if args[i] in ("-e", "--entrypoint")), "")
    module, _, function = entry.partition(":")
    if not (_MODULE.match(module) and _IDENT.match(function)):
        raise JupyterFlowError(f"node {step.node.get('displayName')!r}: Hera entrypoint {entry!r} is not "
                               "module:function")
    out = _header(step, "a Hera runner step.")
    out += [_inputs_literal(step)]
    _artifact_lines(step, out)
    out += ["import inspect, json",
            f"from {module} import {function}",
            f"_fn = getattr({function}, 'wrapped_function', {function})",
            "",
            "def _as_hera(name, text):",
            '    """As Hera\'s runner: the text for a parameter annotated str, else its JSON value."""',
            "    p = inspect.signature(_fn).parameters[name]",
            "    if p.annotation in (str, 'str'):",
            "        return text",
            "    try:",
            "        return json.loads(text)",
            "    except ValueError:",
            "        return text",
            "",
            f"# the step ran: python -m hera.workflows.runner -e {entry} (its function, these arguments)",
            "_fn(**{k: _as_hera(k, v) for k, v in INPUTS.items() if k in inspect.signature(_fn).parameters})"]
    return "\n".join(out) + "\n"


def papermill_cell(step) -> str:
    """A papermill step: its executed notebook (the stored output artifact) at the failing cell."""
    args = [str(a) for a in step.box.get("args") or []]
    words = [str(c) for c in step.box.get("command") or []] + args
    at = next(i for i in range(len(words) - 1) if words[i] == "-m" and words[i + 1] == "papermill")
    positional = [w for w in words[at + 2:] if not w.startswith("-")][:2]
    output_path = positional[1] if len(positional) > 1 else ""
    stored = None
    from .artifacts import _inside
    for art in (step.node.get("outputs") or {}).get("artifacts") or []:
        if art.get("path") == output_path and (art.get("local") or {}).get("key"):
            stored = _inside(step.artifact_root, str(art["local"]["key"]))
    failing = _failing_cell(stored) if stored is not None else None
    out = _header(step, "a papermill step: its executed notebook, at the cell that failed.")
    out += [f"NOTEBOOK = {str(stored) if stored else None!r}   # the executed notebook (output artifact "
            f"{output_path!r})",
            f"FAILING_CELL = {failing!r}   # its index in the notebook's cells (None: none failed)"]
    out += ["import json",
            "from IPython.display import Markdown, display",
            "if NOTEBOOK is None:",
            "    print('the executed notebook is not stored on this machine')",
            "else:",
            "    with open(NOTEBOOK, encoding='utf-8') as _f:",
            "        _cells = json.load(_f)['cells']",
            "    print(NOTEBOOK)",
            "    if FAILING_CELL is not None:",
            "        _cell = _cells[FAILING_CELL]",
            "        print(f'cell {FAILING_CELL} failed:')",
            "        print(''.join(_cell.get('source') or ''))",
            "        for _o in _cell.get('outputs') or []:",
            "            if _o.get('output_type') == 'error':",
            "                print(f\"{_o.get('ename')}: {_o.get('evalue')}\")"]
    return "\n".join(out) + "\n"


def _failing_cell(path) -> int | None:
    """The index of the cell papermill marked failed (or the first with an error output)."""
    try:
        if path.stat().st_size > NOTEBOOK_LIMIT:
            return None
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells") or []
    except (OSError, ValueError, AttributeError):
        return None
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict):
            continue
        if ((cell.get("metadata") or {}).get("papermill") or {}).get("exception") or \
                any(isinstance(o, dict) and o.get("output_type") == "error" for o in cell.get("outputs") or []):
            return i
    return None


def bash_cell(step) -> str:
    """A container (or non-Python script) step: ``cd``, ``env -i`` and the command line."""
    from .executors.base import StepSpec
    from .executors.commands import resolve_argv
    from .errors import StepError
    box = step.box
    env, withheld = _env(box)
    from .engine.podenv import expand_argv
    command, args = expand_argv(box.get("command"), env), expand_argv([str(a) for a in box.get("args") or []], env)
    script = (str(box.get("source") or "") or None) if step.kind == "shell" else None
    spec = StepSpec(node_id=step.node["id"], step_name=step.node.get("displayName", ""),
                    image=str(box.get("image", "")),
                    command=command, args=args or [], env=env, working_dir=box.get("workingDir"), script=script)
    try:
        argv = resolve_argv(spec)
    except StepError:
        argv = [*(command or []), *(args or [])]
    cwd = box.get("workingDir") or str(step.node_dir if script is not None else step.work_dir)
    out = ["%%bash"] + _header(step, "a container step, as a shell command line (drop %%bash in a terminal).")
    for a in step.artifacts:
        local = a["local"] or ("(raw data in the workflow)" if a["raw"] is not None else None)
        out.append(f"# input artifact {a['name']!r}: the step read it at {a['path']!r}; here: {local!r}")
    if withheld:
        out.append(f"# from Secrets/ConfigMaps, taken from this shell's environment: {withheld!r}")
    out.append("set -e")
    out.append(f"mkdir -p {shlex.quote(cwd)} && cd {shlex.quote(cwd)}")
    if script is not None:
        mark = "JF_SCRIPT"
        while mark in script:
            mark += "_X"
        out += ["_jf_script=$(mktemp)", f"cat > \"$_jf_script\" <<'{mark}'", script.rstrip("\n"), mark]
    words = ['PATH="$PATH"', 'HOME="$HOME"']
    words += [shlex.quote(f"{k}={v}") for k, v in env.items()]
    words += [f'{shlex.quote(n)}="${{{n}:-}}"' for n in withheld if _IDENT.match(n)]
    cmd = [shlex.quote(w) for w in argv] + (['"$_jf_script"'] if script is not None else [])
    out.append("env -i " + " ".join(words + cmd))
    return "\n".join(out) + "\n"
