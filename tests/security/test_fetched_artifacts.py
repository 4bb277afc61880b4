"""Input artifacts the engine fetches on the host (http, git) cannot reach the host's files or
run host commands (issue 16.3).

Argo fetches an http or git artifact inside the step's pod, where ``file:///x`` and a local
repository path are the pod's own files. The engine fetches them on the host, outside the
bubblewrap sandbox or the podman container, so before the fix the workflow *text* alone handed a
container step the host's files (``file:///home/u/.ssh/id_rsa``, a local git repository), and a
repo starting with ``-`` became an option of ``git clone``: ``--upload-pack=CMD`` ran CMD on the
host when the artifact's path held a repository (here one a container step left as an output).
Each test runs a real workflow; the secret must not reach the step and no host file appears.
"""
from __future__ import annotations

import shutil
import subprocess

import pytest

from jupyter_flow import api
from jupyter_flow.executors import sandbox as sb

from tests.executors.test_container import IMAGE, busybox_image  # noqa: F401 (a fixture)


@pytest.fixture(params=["no-sandbox", "container"])
def backend(request, monkeypatch):
    if request.param == "container":
        request.getfixturevalue("busybox_image")
        return "container"
    monkeypatch.setenv(sb.ENV_VAR, "off")
    return "local"


@pytest.fixture
def victim(tmp_path):
    """A private key and a git repository outside the jupyter-flow home."""
    home = tmp_path / "victim-home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("SECRET-KEY\n")
    repo = home / "notes"
    repo.mkdir()
    (repo / "diary.txt").write_text("SECRET-NOTES\n")
    git = ["git", "-C", str(repo), "-c", "user.email=v@x", "-c", "user.name=v"]
    subprocess.run(git[:3] + ["init", "-q"], check=True)
    subprocess.run(git[:3] + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "x"], check=True)
    return home


def _wf(templates: list, entry: str = "main") -> dict:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "fetch-"},
            "spec": {"entrypoint": entry, "templates": templates}}


def _reader(art: dict, path: str = "/tmp/a") -> dict:
    return {"name": "main", "inputs": {"artifacts": [dict(art, name="a", path=path)]},
            "container": {"image": IMAGE, "command": ["sh", "-c", "cat /tmp/a /tmp/a/* 2>&1; true"]}}


@pytest.mark.parametrize("source", ["http-file", "git-path", "git-file-url"])
def test_a_fetched_artifact_never_reads_the_hosts_files(backend, victim, source):
    art = {"http-file": {"http": {"url": f"file://{victim}/.ssh/id_rsa"}},
           "git-path": {"git": {"repo": str(victim / "notes")}},
           "git-file-url": {"git": {"repo": f"file://{victim}/notes"}}}[source]
    run = api.submit(_wf([_reader(art)]), backend=backend, wait=True, timeout=120)
    assert "SECRET" not in run.logs()
    assert run.phase == "Error"
    node = run.node(run.name)
    assert "not a network URL" in node.get("message", "")


def test_a_git_repo_option_runs_nothing_on_the_host(backend, tmp_path):
    """A step leaves a git repository as an output; the next step's git artifact with repo
    ``--upload-pack=CMD`` lands on it: git clone took the repository path as its source and ran CMD."""
    pwned = tmp_path / "PWNED"
    # without a sandbox the step's paths are the host's: keep them inside the test's directory
    out = str(tmp_path / "out")
    make_repo = (f"mkdir -p {out}/r/.git/objects {out}/r/.git/refs && echo 'ref: refs/heads/master' > {out}/r/.git/HEAD"
                 f" && printf '[core]\\n\\trepositoryformatversion = 0\\n\\tbare = false\\n' > {out}/r/.git/config")
    templates = [
        {"name": "main", "steps": [[{"name": "mk", "template": "mk"}],
                                   [{"name": "use", "template": "use", "arguments": {"artifacts": [
                                       {"name": "a", "from": "{{steps.mk.outputs.artifacts.d}}"}]}}]]},
        {"name": "mk", "container": {"image": IMAGE, "command": ["sh", "-c", make_repo]},
         "outputs": {"artifacts": [{"name": "d", "path": out}]}},
        {"name": "use", "inputs": {"artifacts": [
            {"name": "a", "path": f"{tmp_path}/in"},
            {"name": "g", "path": f"{tmp_path}/in/r", "git": {"repo": f"--upload-pack=touch {pwned};:"}}]},
         "container": {"image": IMAGE, "command": ["true"]}}]
    run = api.submit(_wf(templates), backend=backend, wait=True, timeout=120)
    assert not pwned.exists()
    # as on Argo: the step whose input cannot be loaded errors, its step group and the run fail
    use = [n for n in run.nodes.values() if n.get("displayName") == "use"]
    assert [n["phase"] for n in use] == ["Error"] and "not a network URL" in use[0]["message"]
    assert run.phase == "Failed"


@pytest.mark.parametrize("url, git", [
    ("https://example.com/a.tgz", False), ("http://127.0.0.1:9/x", False),
    ("https://github.com/argoproj/argo-workflows.git", True), ("git@github.com:argoproj/argo-workflows.git", True),
    ("ssh://git@example.com/r.git", True), ("git://example.com/r.git", True)])
def test_network_urls_are_fetched(url, git):
    from jupyter_flow.engine.artifacts import fetch_problem
    assert fetch_problem(url, "url", git=git) is None


@pytest.mark.parametrize("url, git", [
    ("file:///etc/passwd", False), ("/etc/passwd", False), ("ftp://example.com/x", False), ("", False),
    ("/home/u/repo", True), ("file:///home/u/repo", True), ("./repo", True), ("--upload-pack=sh", True),
    ("ext::sh -c touch% /tmp/x", True), ("-u:x", True), (None, True)])
def test_local_paths_and_options_are_refused(url, git):
    from jupyter_flow.engine.artifacts import fetch_problem
    assert fetch_problem(url, "url", git=git)


@pytest.fixture
def asking_server():
    """A git-over-HTTP URL that asks for credentials (401), as a private repository does."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="private"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/me/private.git"
    server.shutdown()
    server.server_close()


def test_a_git_artifact_never_uses_the_users_credentials(tmp_path, monkeypatch, asking_server):
    """Argo's pod clones with the secrets the artifact names, nothing else; the engine ran git with
    the user's environment, so the user's credential helper answered for any URL in the text."""
    if not shutil.which("git"):
        pytest.skip("git is not installed")
    monkeypatch.setenv(sb.ENV_VAR, "off")
    home = tmp_path / "user-home"
    home.mkdir()
    asked = tmp_path / "ASKED"
    helper = f"!f() {{ touch {asked}; echo username=me; echo password=hunter2; }}; f"
    subprocess.run(["git", "config", "--file", str(home / ".gitconfig"), "credential.helper", helper], check=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    clone = tmp_path / "clone"   # the sandbox is off: the artifact's path is this machine's
    run = api.submit(_wf([_reader({"git": {"repo": asking_server}}, str(clone))]), backend="local", wait=True,
                     timeout=120)
    assert not asked.exists(), "the user's git credential helper was asked for the workflow's URL"
    assert run.phase == "Error"
