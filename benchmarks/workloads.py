"""The benchmark workloads (shared/design/benchmarks.md): each as a Workflow YAML document for
jupyter-flow, and as the plain ``ThreadPoolExecutor(max_workers=2)`` baseline running the same
processes with the same dependencies and capturing stdout.

Every generator returns YAML *text*: the engine side is measured from ``submit()`` of a
document, the way a user runs it (parse, validate, schedule, spawn, capture, persist).
"""
from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

TRUE = shutil.which("true") or "/bin/true"
ECHO = shutil.which("echo") or "/bin/echo"
DATE = shutil.which("date") or "/bin/date"

_TRUE_TEMPLATE = """\
  - name: t
    container:
      image: busybox
      command: ["true"]
"""


def _run(argv: list[str]) -> str:
    """What a baseline task does: start the process, capture its stdout, fail on a bad exit."""
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    if proc.returncode:
        raise RuntimeError(f"{argv} exited {proc.returncode}")
    return proc.stdout.decode()


# ---- W1 chain: N sequential `true` steps ---------------------------------------------------------

def w1_yaml(n: int = 50) -> str:
    groups = "".join(f"    - - name: s{i}\n        template: t\n" for i in range(n))
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: w1-chain-
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
{groups}{_TRUE_TEMPLATE}"""


def w1_baseline(n: int = 50) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        for _ in range(n):
            pool.submit(_run, [TRUE]).result()


# ---- W2 fan-out: N independent steps then one join; parallelism 2 --------------------------------

def w2_yaml(n: int = 200) -> str:
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: w2-fanout-
spec:
  entrypoint: main
  parallelism: 2
  templates:
  - name: main
    steps:
    - - name: fan
        template: t
        withSequence:
          count: "{n}"
    - - name: join
        template: t
{_TRUE_TEMPLATE}"""


def w2_baseline(n: int = 200) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        for f in [pool.submit(_run, [TRUE]) for _ in range(n)]:
            f.result()
        pool.submit(_run, [TRUE]).result()


# ---- W3 diamond: A -> (B, C) -> D, D gets B's and C's outputs.result ---------------------------------

W3_YAML = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: w3-diamond-
spec:
  entrypoint: diamond
  templates:
  - name: diamond
    dag:
      tasks:
      - name: A
        template: echo
        arguments: {parameters: [{name: msg, value: A}]}
      - name: B
        depends: A
        template: echo
        arguments: {parameters: [{name: msg, value: B}]}
      - name: C
        depends: A
        template: echo
        arguments: {parameters: [{name: msg, value: C}]}
      - name: D
        depends: B && C
        template: echo
        arguments:
          parameters:
          - name: msg
            value: "{{tasks.B.outputs.result}} {{tasks.C.outputs.result}}"
  - name: echo
    inputs:
      parameters:
      - name: msg
    container:
      image: busybox
      command: [echo, "{{inputs.parameters.msg}}"]
"""


def w3_yaml() -> str:
    return W3_YAML


def w3_baseline_once(pool: ThreadPoolExecutor) -> str:
    pool.submit(_run, [ECHO, "A"]).result()
    b, c = pool.submit(_run, [ECHO, "B"]), pool.submit(_run, [ECHO, "C"])
    rb, rc = b.result().rstrip("\n"), c.result().rstrip("\n")
    return pool.submit(_run, [ECHO, f"{rb} {rc}"]).result()


def w3_baseline(runs: int = 10) -> None:
    for _ in range(runs):
        with ThreadPoolExecutor(max_workers=2) as pool:
            out = w3_baseline_once(pool)
        assert out == "B C\n", out


# ---- W4 scale: N `true` tasks in layers of `width`, each layer depending on the previous ---------

def w4_yaml(n: int = 1000, width: int = 100) -> str:
    """A DAG of ``n // width`` layer tasks, each fanned out to ``width`` nodes (``withSequence``)
    and depending on the previous layer as a whole: ``n`` Pod nodes, barriers between layers."""
    layers = max(1, n // width)
    tasks = []
    for k in range(layers):
        dep = f"\n        depends: L{k - 1}" if k else ""
        tasks.append(f"      - name: L{k}\n        template: t{dep}\n"
                     f"        withSequence: {{count: \"{width}\"}}\n")
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: w4-scale-
spec:
  entrypoint: main
  parallelism: 2
  templates:
  - name: main
    dag:
      tasks:
{"".join(tasks)}{_TRUE_TEMPLATE}"""


def w4_baseline(n: int = 1000, width: int = 100) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        for _ in range(max(1, n // width)):
            for f in [pool.submit(_run, [TRUE]) for _ in range(width)]:
                f.result()


# ---- W5 first step / fixed cost: a one-step workflow ---------------------------------------------

W5_YAML = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: w5-first-
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: busybox
      command: [date, "+%s%N"]
"""


def w5_yaml() -> str:
    return W5_YAML


def w5_baseline() -> int:
    """The first (only) step's start as the step itself saw it: ns since the epoch."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return int(pool.submit(_run, [DATE, "+%s%N"]).result())
