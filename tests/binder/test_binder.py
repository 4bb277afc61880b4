"""binder/ works: a fresh venv from binder/requirements.txt + binder/postBuild, then every
example (YAML and notebook) runs in it, and both Jupyter extensions are installed there."""
from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]

RUN_EXAMPLES = textwrap.dedent(r'''
    import json, subprocess, sys, time
    from pathlib import Path
    import nbformat
    from nbclient import NotebookClient

    examples = Path(sys.argv[1])
    cli = [sys.executable, "-m", "jupyter_flow.cli"]
    report = {}
    for path in sorted(examples.glob("*.yaml")):
        text = path.read_text()
        if "suspend: {}" in text:      # waits for a human: resume it, as the comment says
            name = subprocess.run(cli + ["submit", str(path), "-o", "name"], capture_output=True, text=True,
                                  check=True).stdout.strip()
            deadline = time.time() + 60
            while time.time() < deadline:
                subprocess.run(cli + ["resume", name], capture_output=True)
                phase = json.loads(subprocess.run(cli + ["get", name, "-o", "json"], capture_output=True,
                                                  text=True).stdout)["status"]["phase"]
                if phase in ("Succeeded", "Failed", "Error"):
                    break
                time.sleep(0.5)
            report[path.name] = phase
        else:
            out = subprocess.run(cli + ["submit", str(path), "--wait", "-o", "json"], capture_output=True, text=True)
            report[path.name] = json.loads(out.stdout)["status"]["phase"] if out.stdout.strip() else out.stderr
    for path in sorted(examples.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        try:
            NotebookClient(nb, timeout=300, kernel_name="python3",
                           resources={"metadata": {"path": str(examples)}}).execute()
            errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
            report[path.name] = "ok" if not errors else f"error: {errors[0].get('evalue')}"
        except Exception as exc:  # noqa: BLE001 - reported and asserted by the test
            report[path.name] = f"error: {exc}"
    print(json.dumps(report))
''')


def _copy_checkout(dest: Path) -> None:
    """The repository's files as a fresh clone would have them (no node_modules, no build output)."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.splitlines()
    for rel in files:
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is needed to build the lab extension")
def test_binder_environment_runs_every_example(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the git checkout")
    src, venv = tmp_path / "repo", tmp_path / "venv"
    _copy_checkout(src)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bin_ = venv / "bin"
    env = dict(os.environ, PATH=f"{bin_}{os.pathsep}{os.environ['PATH']}", VIRTUAL_ENV=str(venv),
               JUPYTER_FLOW_HOME=str(tmp_path / "flow-home"), HOME=str(tmp_path / "home"),
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("PYTHONPATH", None)
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_CONFIG_DIR", None)
    (tmp_path / "home").mkdir()
    # keep the machine's pip/yarn caches (a Binder build has its own): only the venv and the checkout are fresh
    for var, default in (("PIP_CACHE_DIR", Path.home() / ".cache" / "pip"),
                         ("YARN_GLOBAL_FOLDER", Path.home() / ".yarn" / "berry")):
        env.setdefault(var, str(default))

    work = tmp_path / "work"  # not the checkout: `python -m` must import the installed package
    work.mkdir()

    def run(*cmd, timeout=900, cwd=src):
        out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
        assert out.returncode == 0, f"{cmd}:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
        return out.stdout

    run(str(bin_ / "pip"), "install", "-q", "-r", "binder/requirements.txt")
    run("bash", "binder/postBuild")

    # the wheel carried the prebuilt lab extension and the server extension's enable file
    ext = venv / "share" / "jupyter" / "labextensions" / "jupyter-flow"
    assert glob.glob(str(ext / "static" / "remoteEntry.*.js")), list(ext.rglob("*"))
    assert json.loads((ext / "package.json").read_text())["name"] == "jupyter-flow"
    conf = venv / "etc" / "jupyter" / "jupyter_server_config.d" / "jupyter_flow.json"
    assert json.loads(conf.read_text())["ServerApp"]["jpserver_extensions"]["jupyter_flow.server"] is True
    listed = subprocess.run([str(bin_ / "jupyter"), "server", "extension", "list"], cwd=work, env=env,
                            capture_output=True, text=True)
    assert "jupyter_flow.server" in listed.stdout + listed.stderr and "enabled" in listed.stdout + listed.stderr
    # it is the installed package, not this checkout, that runs the examples
    where = run(str(bin_ / "python"), "-c", "import jupyter_flow, sys; print(jupyter_flow.__file__)", cwd=work)
    assert str(venv) in where, where

    script = tmp_path / "run_examples.py"
    script.write_text(RUN_EXAMPLES)
    report = json.loads(run(str(bin_ / "python"), str(script), str(src / "examples"), timeout=1200, cwd=work)
                        .strip().splitlines()[-1])
    examples = sorted(p.name for p in (ROOT / "examples").glob("*.yaml")) + \
        sorted(p.name for p in (ROOT / "examples").glob("*.ipynb"))
    assert sorted(report) == sorted(examples)
    bad = {k: v for k, v in report.items() if v not in ("Succeeded", "ok")}
    assert not bad, report
