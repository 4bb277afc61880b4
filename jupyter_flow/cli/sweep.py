"""``jupyter-flow submit FILE --sweep lr=0.1,0.01 --sweep depth=3,5 [--parallelism N] [--wait]``.

One run per point of the grid (every combination of the ``--sweep`` values), labelled
``jupyter-flow.io/experiment=<name>`` (``jupyter-flow list -l jupyter-flow.io/experiment=NAME``
lists them). As with a plain submit, the runs belong to a detached process (one scheduler for
the whole sweep), so Ctrl-C during ``--wait`` stops the waiting, not the sweep.
"""
from __future__ import annotations

import sys


def cmd_submit_sweep(a, sources: list, params: dict, labels: dict, backend) -> int:
    from ..errors import SpecError
    from ..experiments.core import sweep
    from ..experiments.grid import parse_sweep_args
    from .output import stopped_waiting
    refused = [flag for flag, given in (("--name", a.name), ("--dry-run", a.dry_run), ("--watch", a.watch),
                                        ("--log", a.log), ("--serviceaccount", a.serviceaccount),
                                        ("--continue", getattr(a, "continue_from", None))) if given]
    if refused:
        print(f"submit --sweep: {', '.join(refused)} cannot be used with a sweep (its runs are named "
              f"from --generate-name or the file's)", file=sys.stderr)
        return 1
    if len(sources) != 1:
        print("submit --sweep: give exactly one FILE (or --from)", file=sys.stderr)
        return 1
    source, filename = sources[0]
    parallelism = 2 if a.parallelism is None else a.parallelism
    try:
        grid = parse_sweep_args(a.sweep)
        exp = sweep(source, grid, parallelism=parallelism, name=a.experiment, parameters=params or None,
                    entrypoint=a.entrypoint, generate_name=a.generate_name, labels=labels or None,
                    backend=backend.name, filename=filename, detach=True, source="--sweep",
                    cache=getattr(a, "cache", None))
    except SpecError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    runs = exp.runs
    if a.output == "name":
        print("\n".join(runs.names))
    else:
        print(f"Experiment:          {exp.name}\nRuns:                {len(runs)}, at most {a.parallelism} at once")
        for row in runs.rows(metrics=False):
            params_text = " ".join(f"{k[6:]}={row[k]}" for k in row if k.startswith("param.") and k[6:] in grid)
            print(f"  {row['name']:<24} {params_text}")
    if not a.wait:
        return 0
    try:
        phase = exp.wait()
    except KeyboardInterrupt:
        return stopped_waiting(runs.names)
    if a.output != "name":
        print(f"\n{'NAME':<26} {'STATUS':<10} DURATION")
        for row in exp.runs.rows(metrics=False):
            duration = f"{row['duration']:.1f}s" if row["duration"] is not None else ""
            print(f"{row['name']:<26} {row['phase']:<10} {duration}")
        print(f"\nExperiment {exp.name} {phase}")
    return 0 if phase == "Succeeded" else 1
