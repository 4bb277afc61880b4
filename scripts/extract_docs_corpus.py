"""Extract the Workflow YAML embedded in Argo's documentation into the conformance corpus.

Usage::

    git -C <argo-workflows git dir> archive HEAD docs LICENSE | tar -x -C /tmp/argo
    python scripts/extract_docs_corpus.py /tmp/argo/docs

Every fenced ``yaml``/``yml`` block of ``docs/**/*.md`` that holds a runnable document (a Workflow with
``templates`` or a ``workflowTemplateRef``, or a WorkflowTemplate / ClusterWorkflowTemplate /
CronWorkflow with templates) is written verbatim to ``tests/conformance/docs_corpus/<doc>-<n>.yaml``
(``walk-through/loops.md`` -> ``walk-through__loops-<n>.yaml``). Fragments (a ``spec:`` excerpt,
a Workflow without templates), blocks that are not YAML and repeats of a snippet are counted and left out.

``index.tsv`` beside them has one row per file: where it came from, a digest of the snippet, and
the hand-written judgement: the snippets of the same page it needs registered first (``requires``),
the ``-p`` parameters and the resume/set steps the page describes (``drive``), the outcome the docs
state (``expected_phase``; ``expected``, checks read by tests/conformance/test_docs.py), whether
that outcome is stated or only implied, and whether it needs a cluster and why. A
re-extraction keeps the judgement of every file whose snippet is unchanged; a new or changed snippet
gets ``expected_phase = ?``, which the conformance suite refuses until someone judges it.
Nothing but the snippets (and Argo's LICENSE, copied by hand) is vendored.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
import textwrap
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "conformance" / "docs_corpus"
KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow")
COLUMNS = ["file", "source", "sha", "kinds", "requires", "parameters", "drive", "expected_phase", "expected",
           "outcome_source", "needs_cluster", "why"]
JUDGED = COLUMNS[4:]
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)\s*(?P<lang>[\w+-]*)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def blocks(text: str):
    """Yield (heading, language, body) for every fenced block of a Markdown text."""
    heading = ""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        h = HEADING.match(line)
        if h:
            heading = h.group(2)
        m = FENCE.match(line)
        if not m:
            i += 1
            continue
        fence, indent, lang = m.group("fence"), m.group("indent"), m.group("lang").lower()
        body = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence[:3]):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1
        yield heading, lang, textwrap.dedent("\n".join(body)).strip("\n") + "\n"


def runnable(docs: list) -> bool:
    """A block the suite can submit: some document of it has templates or a template reference."""
    for d in docs:
        if not isinstance(d, dict) or d.get("kind") not in KINDS:
            continue
        spec = d.get("spec") or {}
        if d["kind"] == "CronWorkflow":
            spec = spec.get("workflowSpec") or {}
        if isinstance(spec, dict) and (spec.get("templates") or spec.get("workflowTemplateRef")):
            return True
    return False


def extract(docs_dir: Path):
    """Yield (file name, source, kinds, text) per runnable block, and count what was left out."""
    skipped = {"fragment": 0, "not YAML": 0, "repeat": 0}
    seen: set[str] = set()
    for md in sorted(docs_dir.rglob("*.md")):
        rel = md.relative_to(docs_dir)
        stem = "__".join(rel.with_suffix("").parts)
        n = 0
        for heading, lang, body in blocks(md.read_text(encoding="utf-8")):
            if lang not in ("yaml", "yml") or not re.search(r"^\s*kind:\s*(%s)\s*$" % "|".join(KINDS), body, re.M):
                continue
            try:
                docs = [d for d in yaml.safe_load_all(body) if d is not None]
            except yaml.YAMLError:
                skipped["not YAML"] += 1
                continue
            if not runnable(docs):
                skipped["fragment"] += 1
                continue
            if body in seen:   # the same snippet shown twice in one page (debug-pause.md)
                skipped["repeat"] += 1
                continue
            seen.add(body)
            n += 1
            kinds = ",".join(d.get("kind", "?") for d in docs if isinstance(d, dict))
            anchor = re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")
            source = f"docs/{rel.as_posix()}" + (f"#{anchor}" if anchor else "")
            yield f"{stem}-{n}.yaml", source, kinds, body
    print(f"left out: {skipped['fragment']} fragments, {skipped['not YAML']} blocks that are not YAML, "
          f"{skipped['repeat']} repeated snippets", file=sys.stderr)


def read_index(path: Path) -> dict[str, dict]:
    if not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8") as f:
        return {r["file"]: r for r in csv.DictReader(f, delimiter="\t")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("docs", type=Path, help="the docs/ directory of an argo-workflows checkout")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    old = read_index(args.out / "index.tsv")
    rows, written = [], set()
    for name, source, kinds, text in extract(args.docs):
        sha = hashlib.sha256(text.encode()).hexdigest()[:12]
        (args.out / name).write_text(text, encoding="utf-8")
        written.add(name)
        row = {"file": name, "source": source, "sha": sha, "kinds": kinds}
        prev = old.get(name)
        if prev and prev.get("sha") == sha:
            row.update({k: prev.get(k, "") for k in JUDGED})
        else:
            row.update({k: "" for k in JUDGED}, expected_phase="?")
        rows.append(row)
    for stale in args.out.glob("*.yaml"):
        if stale.name not in written:
            stale.unlink()
    with (args.out / "index.tsv").open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, COLUMNS, delimiter="\t", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    unjudged = sum(r["expected_phase"] == "?" for r in rows)
    print(f"{len(rows)} workflows written to {args.out} ({unjudged} to judge)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
