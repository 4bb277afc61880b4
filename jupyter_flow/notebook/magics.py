"""``%load_ext jupyter_flow``: the ``%%workflow`` cell magic and the ``%flow`` line magic.

``%%workflow [-p name=value]... [--wait] [--check] [--name N] [--entrypoint T] [--lint] [--backend B]``
submits the cell body (Workflow YAML) and returns the ``Run``; with ``--sweep lr=0.1,0.01 --sweep
depth=3,5 [--parallelism N] [--experiment E]`` it runs one per combination and returns the ``Experiment`` (so the cell shows the live widget,
and ``_``/``Out`` hold the run). ``--check`` waits and fails the cell when the run does not
succeed (for headless papermill/nbclient runs). IPython expands ``$var`` and ``{expr}`` on the magic's line, so
``-p message=$message`` takes a notebook variable (papermill's ``parameters`` cell, say).

A YAML or lint error is not a Python traceback: the cell fails with one short entry per
problem, ``<cell>:LINE:COL: field: message``, with LINE counted as the editor shows it (the
``%%workflow`` line is line 1), followed by the offending line and a caret.

``%flow list | get NAME | logs NAME [NODE] | resume NAME | suspend NAME | stop NAME |
terminate NAME | retry NAME | wait NAME | delete NAME | lint [FILE...]`` acts on runs
(``@latest`` names the newest). ``%flow lint`` with no file lints the last ``%%workflow`` cell.
"""
from __future__ import annotations

import argparse
import shlex
from typing import Any

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from ..errors import JupyterFlowError, LintError, SpecError

CELL_FILE = "<cell>"
_RED, _BOLD, _RESET = "\x1b[31m", "\x1b[1m", "\x1b[0m"


class FlowMagicError(JupyterFlowError):
    """An error a magic reports as a few readable lines instead of a traceback.

    IPython calls ``_render_traceback_`` for exceptions that define it, so the cell still
    fails (papermill and nbclient stop there) but shows only these lines.
    """

    def __init__(self, lines: list[str], errors: list[LintError] | None = None):
        self.lines = lines
        self.errors = list(errors or [])
        super().__init__("\n".join(lines))

    def _render_traceback_(self) -> list[str]:
        return list(self.lines)


def format_lint(errors: list[LintError], source: str | None = None, *, title: str | None = None) -> list[str]:
    """``<cell>:L:C: field: message`` lines, each followed by the source line and a caret."""
    src_lines = source.splitlines() if source is not None else []
    n_err = sum(1 for e in errors if e.severity == "error")
    lines = [f"{_RED}{_BOLD}{title or 'Workflow'}: {n_err} error{'s' if n_err != 1 else ''}"
             + (f", {len(errors) - n_err} warning{'s' if len(errors) - n_err != 1 else ''}"
                if len(errors) > n_err else "") + _RESET]
    for e in errors:
        prefix = "" if e.severity == "error" else "warning: "
        lines.append(f"{prefix}{e}")
        if e.line and 0 < e.line <= len(src_lines):
            text = src_lines[e.line - 1]
            lines.append(f"  {e.line:>3} | {text}")
            if e.column:
                lines.append("      | " + " " * (e.column - 1) + f"{_RED}^{_RESET}")
    return lines


def _parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, add_help=False, exit_on_error=False)
    p.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--wait", "-w", action="store_true")
    p.add_argument("--check", action="store_true")
    p.add_argument("--name")
    p.add_argument("--generate-name")
    p.add_argument("--entrypoint")
    p.add_argument("--lint", action="store_true")
    p.add_argument("--backend")
    p.add_argument("--sweep", action="append", default=[], metavar="NAME=V1,V2")
    p.add_argument("--parallelism", type=int, default=None)
    p.add_argument("--experiment")
    p.add_argument("--cache", action="store_const", const=True, default=None)
    p.add_argument("--no-cache", dest="cache", action="store_const", const=False)
    p.add_argument("--continue", dest="continue_from", metavar="RUN")
    return p


class _Usage(Exception):
    pass


def _parse(parser: argparse.ArgumentParser, line: str) -> argparse.Namespace:
    def fail(message: str):
        raise _Usage(message)
    parser.error = fail  # type: ignore[method-assign]
    try:
        argv = shlex.split(line)
    except ValueError as exc:
        raise _Usage(str(exc)) from None
    try:
        return parser.parse_args(argv)
    except argparse.ArgumentError as exc:
        raise _Usage(str(exc)) from None


def parse_parameters(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise _Usage(f"-p expects NAME=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        out[key.strip()] = value
    return out


@magics_class
class FlowMagics(Magics):
    last_cell: tuple[str, str] | None = None   # (YAML as linted, cell as shown)

    # ---- %%workflow -------------------------------------------------------------------------------
    @cell_magic
    def workflow(self, line: str, cell: str) -> Any:
        """Submit the cell (Argo Workflow YAML); the Run is the cell's result."""
        try:
            args = _parse(_parser("%%workflow"), line)
            params = parse_parameters(args.parameter)
        except _Usage as exc:
            raise FlowMagicError([f"{_RED}%%workflow: {exc}{_RESET}",
                                  "usage: %%workflow [-p NAME=VALUE]... [--wait] [--check] [--name N] "
                                  "[--entrypoint T] [--lint] [--backend B] [--cache] [--continue RUN] "
                                  "[--sweep NAME=V1,V2... [--parallelism N] [--experiment E]]"]) from None
        # a leading newline makes YAML line numbers the editor's (the %%workflow line is line 1)
        source = "\n" + cell
        shown = ("%%workflow " + line).rstrip() + source
        self.last_cell = (source, shown)

        if args.lint:
            from .. import api
            problems = api.lint(source, filename=CELL_FILE)
            if any(e.severity == "error" for e in problems):
                raise FlowMagicError(format_lint(problems, shown), problems)
            if problems:
                print("\n".join(format_lint(problems, shown)))
            else:
                print("\u2714 no problems")
            return None

        if args.sweep:
            return self._sweep(args, params, source, shown)
        if args.parallelism is not None or args.experiment:
            raise FlowMagicError([f"{_RED}%%workflow: --parallelism and --experiment go with --sweep{_RESET}"])
        from .. import api
        try:
            run = api.submit(source, parameters=params or None, name=args.name, generate_name=args.generate_name,
                             entrypoint=args.entrypoint, backend=args.backend, filename=CELL_FILE,
                             cache=args.cache, continue_from=args.continue_from)
        except SpecError as exc:
            raise FlowMagicError(format_lint(exc.errors, shown), exc.errors) from None
        except JupyterFlowError as exc:
            raise FlowMagicError([f"{_RED}%%workflow: {exc}{_RESET}"]) from None
        if args.wait or args.check:
            try:
                run.wait()
            except KeyboardInterrupt:
                print(f"interrupted: {run.name} is still {run.phase}; `%flow stop {run.name}` stops it")
                return run
        if args.check and run.phase != "Succeeded":
            # headless runs (papermill, nbclient) stop here, as `jupyter-flow submit --wait` exits non-zero
            # (``_`` is left to IPython: assigning it by hand would stop its updates for the session)
            from IPython.display import display
            display(run)
            message = run.to_dict().get("status", {}).get("message") or ""
            raise FlowMagicError([f"{_RED}workflow {run.name} {run.phase}{': ' + message if message else ''}{_RESET}",
                                  f"(the run: jupyter_flow.get({run.name!r}) or %flow get {run.name})"])
        return run

    def _sweep(self, args, params: dict[str, str], source: str, shown: str) -> Any:
        """``--sweep lr=0.1,0.01 --sweep depth=3,5``: one run per combination; the cell's result is
        the Experiment (its widget: progress, the runs' table, a run's DAG on click)."""
        from ..experiments.core import sweep
        from ..experiments.grid import parse_sweep_args
        if args.name:
            raise FlowMagicError([f"{_RED}%%workflow: --name cannot be used with --sweep (each run gets a "
                                  f"generated name; --experiment names the sweep){_RESET}"])
        if args.continue_from:
            raise FlowMagicError([f"{_RED}%%workflow: --continue cannot be used with --sweep (use --cache: "
                                  f"the grid's runs share the steps they have in common){_RESET}"])
        try:
            exp = sweep(source, parse_sweep_args(args.sweep), parallelism=2 if args.parallelism is None
                        else args.parallelism, name=args.experiment,
                        parameters=params or None, entrypoint=args.entrypoint, generate_name=args.generate_name,
                        backend=args.backend, filename=CELL_FILE, source="--sweep", cache=args.cache)
        except SpecError as exc:
            raise FlowMagicError(format_lint(exc.errors, shown), exc.errors) from None
        except JupyterFlowError as exc:
            raise FlowMagicError([f"{_RED}%%workflow: {exc}{_RESET}"]) from None
        if args.wait or args.check:
            try:
                exp.wait()
            except KeyboardInterrupt:
                print(f"interrupted: experiment {exp.name} is still {exp.phase}; "
                      f"jupyter_flow.experiment({exp.name!r}).stop() stops it")
                return exp
        if args.check and exp.phase != "Succeeded":
            from IPython.display import display
            display(exp)
            raise FlowMagicError([f"{_RED}experiment {exp.name} {exp.phase}{_RESET}",
                                  f"(its runs: jupyter_flow.experiment({exp.name!r}).to_frame())"])
        return exp

    # ---- %flow ----------------------------------------------------------------------------------------
    @line_magic
    def flow(self, line: str) -> Any:
        """%flow list | get NAME | logs NAME [NODE] | resume | suspend | stop | terminate | retry |
        wait | delete NAME | lint [FILE...] | debug NAME NODE"""
        from .. import api
        try:
            argv = shlex.split(line)
        except ValueError as exc:
            raise FlowMagicError([f"%flow: {exc}"]) from None
        if not argv:
            raise FlowMagicError([USAGE])
        verb, rest = argv[0], argv[1:]
        if verb not in VERBS:
            raise FlowMagicError([f"%flow: unknown command {verb!r}", USAGE])
        try:
            if verb == "list":
                from ..render import render_list
                from ..runset import select
                phase = rest[0] if rest else None
                print(render_list([r.to_dict() for r in select(phase=phase)]))
                return None
            if verb == "lint":
                return self._lint(rest)
            if not rest:
                raise FlowMagicError([f"%flow {verb}: which workflow? (a name or @latest)", USAGE])
            run = api.get(rest[0])
            if verb == "get":
                return run
            if verb == "logs":
                print(run.logs(rest[1] if len(rest) > 1 else None), end="")
                return None
            if verb in ("resume", "suspend", "stop", "terminate"):
                getattr(run, verb)()
                print(f"workflow {run.name} {VERBED[verb]}")
                return None
            if verb == "retry":
                return run.retry()
            if verb == "wait":
                print(f"{run.name} {run.wait()}")
                return None
            if verb == "debug":
                if len(rest) != 2:
                    raise FlowMagicError(["%flow debug: which node? %flow debug RUN NODE", USAGE])
                from ..debugcell import debug
                # as %load does: the code becomes the next cell, to read before running it
                self.shell.set_next_input(debug(run, rest[1]), replace=False)
                return None
            if verb == "delete":
                run.delete()
                print(f"workflow {run.name} deleted")
                return None
        except FlowMagicError:
            raise
        except JupyterFlowError as exc:
            raise FlowMagicError([f"{_RED}%flow {verb}: {exc}{_RESET}"]) from None
        raise FlowMagicError([f"%flow: unknown command {verb!r}", USAGE])

    def _lint(self, files: list[str]) -> None:
        from .. import api
        if not files:
            if self.last_cell is None:
                raise FlowMagicError(["%flow lint: no file given and no %%workflow cell run yet"])
            sources = [(CELL_FILE, *self.last_cell)]
        else:
            sources = []
            for f in files:
                try:
                    with open(f, encoding="utf-8") as fh:
                        text = fh.read()
                    sources.append((f, text, text))
                except OSError as exc:
                    raise FlowMagicError([f"%flow lint: {exc}"]) from None
        failed: list[LintError] = []
        lines: list[str] = []
        for name, text, shown in sources:
            problems = api.lint(text, filename=name)
            if problems:
                lines += format_lint(problems, shown, title=name)
                failed += [e for e in problems if e.severity == "error"]
            else:
                lines.append(f"\u2714 {name}: no problems")
        if failed:
            raise FlowMagicError(lines, failed)
        print("\n".join(lines))
        return None


USAGE = ("usage: %flow list [PHASE] | get NAME | logs NAME [NODE] | resume NAME | suspend NAME | stop NAME | "
         "terminate NAME | retry NAME | wait NAME | delete NAME | lint [FILE...] | debug NAME NODE")
VERBS = ("list", "get", "logs", "resume", "suspend", "stop", "terminate", "retry", "wait", "delete", "lint",
         "debug")
VERBED = {"resume": "resumed", "suspend": "suspended", "stop": "stopped", "terminate": "terminated"}


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magics(FlowMagics)
