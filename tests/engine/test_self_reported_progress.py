"""Self-reported progress: a step writes ``N/M`` to ``$ARGO_PROGRESS_FILE`` and its node's
``progress`` is the last valid line (completed to ``M/M`` when it succeeds, as Argo does).
Real processes; the file is step output, so garbage in it is ignored."""
from __future__ import annotations

from tests.engine.workflows import by_name, run, sh, wf


def _one(script: str, **extra) -> dict:
    return wf([{"name": "main", "steps": [[{"name": "work", "template": "work"}]]}, sh("work", script, **extra)])


def test_a_failed_step_keeps_the_progress_it_reported():
    r = run(_one('echo 1/4 > "$ARGO_PROGRESS_FILE"; echo 3/4 >> "$ARGO_PROGRESS_FILE"; exit 3'))
    node = by_name(r)["work"]
    assert node["phase"] == "Failed"
    assert node["progress"] == "3/4"


def test_a_succeeded_step_is_complete_and_garbage_is_ignored():
    r = run(_one('echo 2/10 > "$ARGO_PROGRESS_FILE"; echo "11/10" >> "$ARGO_PROGRESS_FILE"; '
                 'echo "<b>x</b>" >> "$ARGO_PROGRESS_FILE"'))
    node = by_name(r)["work"]
    assert node["phase"] == "Succeeded"
    assert node["progress"] == "10/10"


def test_a_script_step_gets_the_file_too_and_a_link_there_is_not_followed(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("7/9\n")
    doc = wf([{"name": "main", "steps": [[{"name": "py", "template": "py"}, {"name": "link", "template": "link"}]]},
              {"name": "py", "script": {"image": "python:3.12", "command": ["python3"],
                                        "source": "import os\nopen(os.environ['ARGO_PROGRESS_FILE'], 'w')"
                                                  ".write('5/8\\n')\nraise SystemExit(1)\n"}},
              sh("link", f'ln -sf {target} "$ARGO_PROGRESS_FILE"; exit 1')])
    r = run(doc)
    nodes = by_name(r)
    assert nodes["py"]["progress"] == "5/8"
    assert nodes["link"]["progress"] == "1/1"   # the default: nothing valid was read
