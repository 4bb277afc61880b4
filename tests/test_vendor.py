"""Vendored material lives in jupyter_flow/_vendor/<upstream>/, each folder with its LICENSE and a
NOTICE naming every file, and nowhere else in the package."""
from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "jupyter_flow"
VENDOR = PACKAGE / "_vendor"


def test_argo_material_is_read_from_its_vendored_folder():
    from jupyter_flow.executors.commands import SHIMS, resolve_argv
    from jupyter_flow.executors.base import StepSpec
    from jupyter_flow.spec.schema import SCHEMA_FILE, definitions
    argo = VENDOR / "argo"
    assert "Apache License" in (argo / "LICENSE").read_text()
    assert SCHEMA_FILE.resolve() == (argo / "schema.json").resolve()
    assert "io.argoproj.workflow.v1alpha1.Workflow" in definitions()
    assert SHIMS.resolve() == argo.resolve()
    argv = resolve_argv(StepSpec(node_id="n", step_name="s", image="argoproj/argosay:v2", command=["argosay"]))
    assert Path(argv[1]).resolve() == (argo / "argosay").resolve()


def test_each_vendored_folder_has_its_license_and_a_notice_naming_each_file():
    folders = [d for d in VENDOR.iterdir() if d.is_dir() and d.name != "__pycache__"]
    assert folders
    for folder in folders:
        assert (folder / "LICENSE").read_text().strip()
        notice = (folder / "NOTICE").read_text()
        for f in folder.iterdir():
            if f.name not in ("LICENSE", "NOTICE"):
                assert f"{f.name}:" in notice, f"{folder.name}/NOTICE does not name {f.name}"


def test_no_vendored_material_outside_the_vendor_folder():
    # a licence or notice file beside code is how tools (and readers) take a folder for vendored code
    stray = [p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*")
             if p.is_file() and VENDOR not in p.parents
             and (p.name.upper().endswith(("LICENSE", "NOTICE")) or (p.suffix == ".json" and p.stat().st_size > 100_000))
             and "labextension" not in p.relative_to(PACKAGE).parts]
    assert stray == []
