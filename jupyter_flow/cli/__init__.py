"""``jupyter-flow``: the argo CLI's verbs against the embedded engine.

Every command prints what ``argo`` would (via ``render``), errors print one clear line and
exit non-zero, and nothing here knows how the engine works beyond ``api``.
"""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .args import parse_duration, parse_labels, parse_regex, parse_selector
from .cache import cmd_cache
from .cron import cmd_cron
from .commands import (cmd_cp, cmd_delete, cmd_get, cmd_lint, cmd_list, cmd_logs, cmd_node, cmd_resubmit, cmd_retry,
                       cmd_submit, cmd_template, cmd_wait, cmd_watch, control)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jupyter-flow", description="Run Argo Workflows locally, like the argo CLI.")
    sub = p.add_subparsers(dest="command", required=True)
    out = dict(choices=["name", "json", "yaml", "wide"], help="output format")

    s = sub.add_parser("submit", help="submit workflows")
    s.add_argument("file", nargs="*", help="workflow files (- for stdin), each submitted in turn")
    s.add_argument("-p", "--parameter", action="append")
    s.add_argument("-f", "--parameter-file", action="append")
    s.add_argument("-e", "--entrypoint")
    s.add_argument("--name")
    s.add_argument("--generate-name")
    s.add_argument("--from", dest="from_", help="workflowtemplate/NAME, clusterworkflowtemplate/NAME or cronwf/NAME")
    s.add_argument("-w", "--wait", action="store_true")
    s.add_argument("--watch", action="store_true")
    s.add_argument("--log", action="store_true")
    s.add_argument("-o", "--output", **out)
    s.add_argument("--dry-run", action="store_true")
    s.add_argument("-l", "--labels", type=parse_labels, action="append",
                   help="comma-separated key=value labels added to metadata.labels (overriding the file's)")
    s.add_argument("--serviceaccount", metavar="NAME",
                   help="recorded as spec.serviceAccountName; no effect locally (steps run as you), "
                        "used by the kubernetes and argo backends")
    s.add_argument("--sweep", action="append", metavar="NAME=V1,V2,...",
                   help="one run per combination of these values of workflow parameters (repeatable); "
                        "the runs are labelled jupyter-flow.io/experiment=EXPERIMENT")
    s.add_argument("--parallelism", type=int, default=None, metavar="N",
                   help="with --sweep: at most N runs at once (default 2)")
    s.add_argument("--experiment", metavar="NAME", help="with --sweep: the experiment's name (default: generated)")
    s.add_argument("--backend", default=None, choices=["local", "container", "kubernetes", "dask", "argo"],
                   help="where steps run (default: config.yaml's backend, else local)")
    s.add_argument("--cache", action="store_const", const=True, default=None,
                   help="reuse steps whose content key (template, inputs, artifact contents) was seen before; "
                        "see `jupyter-flow cache`")
    s.add_argument("--no-cache", dest="cache", action="store_const", const=False,
                   help="run every step even if config.yaml says cache: true")
    s.add_argument("--continue", dest="continue_from", metavar="RUN",
                   help="reuse every step of RUN whose content key is unchanged; run the rest")
    s.set_defaults(fn=cmd_submit)

    s = sub.add_parser("get", help="show workflows' trees")
    s.add_argument("names", nargs="+", metavar="name")
    s.add_argument("-o", "--output", choices=["name", "json", "yaml", "short", "wide"],
                   help="output format (short: the node tree only)")
    s.add_argument("--no-utf8", action="store_true", help="phase words instead of symbols, ASCII tree lines")
    s.add_argument("--no-color", action="store_true", help="no colour, even on a terminal")
    s.add_argument("--fold", type=int, default=0, metavar="N",
                   help="a node with more than N children (a loop's fan-out) shows N of those that Succeeded, "
                        "were Skipped or Omitted, every other one, and a line counting the rest "
                        "(default 0: every node, as argo get)")
    s.set_defaults(fn=cmd_get)

    def selection(s, what: str) -> None:
        s.add_argument("--completed", action="store_true", help=f"{what} finished runs (Succeeded, Failed, Error)")
        s.add_argument("--status", help=f"{what} runs in these phases, comma-separated (e.g. Failed,Error)")
        s.add_argument("--prefix", help=f"{what} runs whose name starts with PREFIX")
        s.add_argument("--older", type=parse_duration, metavar="DURATION",
                       help=f"{what} runs finished longer than DURATION ago (e.g. 10m, 3h, 1d)")
        s.add_argument("-l", "--selector", type=parse_selector,
                       help="label selector: key=value, key!=value, key, !key; comma-separated, all must hold")
        s.add_argument("--resubmitted", action="store_true", help=f"{what} runs made by resubmit")

    s = sub.add_parser("list", help="list workflows")
    selection(s, "only")
    s.add_argument("--running", action="store_true", help="only runs not finished yet (Pending, Running)")
    s.add_argument("--since", type=parse_duration, metavar="DURATION",
                   help="only runs created within DURATION (e.g. 10m, 1h, 2d)")
    s.add_argument("--no-headers", action="store_true", help="no header row in the table")
    s.add_argument("-o", "--output", **out)
    s.set_defaults(fn=cmd_list)

    s = sub.add_parser("logs", help="print a workflow's logs")
    s.add_argument("name")
    s.add_argument("node", nargs="?")
    s.add_argument("-f", "--follow", action="store_true")
    s.add_argument("--tail", type=int, metavar="N", help="only the last N lines of each pod's log (-1: all)")
    s.add_argument("--grep", type=parse_regex, metavar="REGEX", help="only the lines REGEX matches")
    s.set_defaults(fn=cmd_logs)

    for verb, fn in (("watch", cmd_watch),):
        s = sub.add_parser(verb, help="watch a workflow until it finishes")
        s.add_argument("name")
        s.set_defaults(fn=fn)
    s = sub.add_parser("wait", help="wait for workflows; exit 1 unless all succeed")
    s.add_argument("names", nargs="+")
    s.add_argument("--ignore-not-found", action="store_true", help="skip a workflow that does not exist")
    s.set_defaults(fn=cmd_wait)
    for verb in ("resume", "suspend", "stop", "terminate"):
        s = sub.add_parser(verb, help=f"{verb} workflows")
        s.add_argument("names", nargs="+")
        if verb == "resume":
            s.add_argument("--node-field-selector")
        s.set_defaults(fn=control(verb))
    s = sub.add_parser("retry", help="retry a failed workflow")
    s.add_argument("name")
    s.add_argument("-w", "--wait", action="store_true")
    s.add_argument("--watch", action="store_true")
    s.add_argument("-o", "--output", **out)
    s.set_defaults(fn=cmd_retry)
    s = sub.add_parser("resubmit", help="submit a workflow again")
    s.add_argument("name")
    s.add_argument("-w", "--wait", action="store_true")
    s.add_argument("--watch", action="store_true", help="watch the new workflow until it completes")
    s.add_argument("-p", "--parameter", action="append", metavar="NAME=VALUE",
                   help="override a workflow argument (spec.arguments.parameters)")
    s.add_argument("--memoized", action="store_true",
                   help="of a Failed or Error workflow: reuse the outputs of the pods that succeeded, run the rest")
    s.add_argument("-o", "--output", **out)
    s.set_defaults(fn=cmd_resubmit)
    s = sub.add_parser("delete", help="delete workflows")
    s.add_argument("names", nargs="*")
    s.add_argument("--all", action="store_true", help="delete all workflows (narrowed by the flags below)")
    selection(s, "delete")
    s.set_defaults(fn=cmd_delete)
    s = sub.add_parser("lint", help="validate workflow files (a directory: its .yaml/.yml/.json files)")
    s.add_argument("files", nargs="+", metavar="FILE|DIR")
    s.set_defaults(fn=cmd_lint)
    s = sub.add_parser("node", help="act on a node (node set)")
    s.add_argument("action", choices=["set"])
    s.add_argument("name")
    s.add_argument("-p", "--output-parameter", action="append", metavar="NAME=VALUE")
    s.add_argument("-m", "--message", help="set the node's message")
    s.add_argument("--phase", choices=["Succeeded", "Failed", "Error"],
                   help="end the suspend node with this phase (e.g. Failed: reject an approval)")
    s.add_argument("--node-field-selector", metavar="displayName=NODE", help="the suspend node to set")
    s.set_defaults(fn=cmd_node)
    s = sub.add_parser("cp", help="copy a workflow's output artifacts to a directory")
    s.add_argument("name")
    s.add_argument("dest", metavar="output-directory")
    s.add_argument("--artifact-name", help="only the artifacts of this name")
    s.add_argument("--template-name", help="only the artifacts of nodes that ran this template")
    s.add_argument("--node-id", help="only the artifacts of this node")
    s.add_argument("--path", default=None,
                   help="where each goes under the directory; {namespace}, {workflowName}, {nodeId}, "
                        "{templateName} and {artifactName} are replaced (default "
                        "{namespace}/{workflowName}/{nodeId}/outputs/{artifactName})")
    s.set_defaults(fn=cmd_cp)
    s = sub.add_parser("cron", help="manage CronWorkflows; `cron run` schedules them (foreground)")
    s.add_argument("action", choices=["create", "update", "list", "get", "delete", "suspend", "resume", "lint", "run"])
    s.add_argument("args", nargs="*", metavar="FILE|NAME")
    s.add_argument("-o", "--output", choices=["name", "json", "yaml", "wide"], help="output format")
    s.add_argument("--schedule", help="create/update: the schedule to use instead of the file's")
    s.add_argument("-p", "--parameter", action="append", metavar="NAME=VALUE",
                   help="create/update: set a workflow argument (spec.workflowSpec.arguments.parameters)")
    s.add_argument("-e", "--entrypoint", help="create/update: the workflowSpec's entrypoint")
    s.add_argument("--all", action="store_true", help="delete: every CronWorkflow")
    s.add_argument("--no-headers", action="store_true", help="list: no header row")
    s.add_argument("--for", dest="for_", type=parse_duration, metavar="DURATION",
                   help="run: stop after DURATION (default: until Ctrl-C)")
    s.set_defaults(fn=cmd_cron)
    s = sub.add_parser("template", help="manage (Cluster)WorkflowTemplates")
    s.add_argument("action", choices=["create", "list", "get", "delete"])
    s.add_argument("args", nargs="*")
    s.add_argument("-o", "--output", choices=["json", "yaml"])
    s.set_defaults(fn=cmd_template)
    s = sub.add_parser("cache", help="the content step cache: list, clear, explain RUN NODE")
    s.add_argument("action", choices=["list", "clear", "explain"])
    s.add_argument("args", nargs="*", metavar="RUN NODE")
    s.add_argument("-o", "--output", choices=["json"], help="cache list: JSON instead of a table")
    s.set_defaults(fn=cmd_cache)
    s = sub.add_parser("server", help="serve Argo Server's REST API (Hera, the argo-workflows SDK, argo CLI)")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    s.add_argument("--port", type=int, default=2746, help="port (default 2746, Argo Server's)")
    s.add_argument("--token", help="the bearer token clients must send (default: one kept 0600 in the home, "
                                   "made at first start); also $JUPYTER_FLOW_SERVER_TOKEN")
    s.add_argument("--auth-mode", choices=["bearer", "none"], default="bearer",
                   help="none: no token asked (refused unless --host is a loopback address)")
    s.add_argument("--certfile", help="TLS certificate (PEM); with --keyfile the server speaks HTTPS")
    s.add_argument("--keyfile", help="TLS private key (PEM)")
    s.set_defaults(fn=cmd_server)
    return p


def cmd_server(a) -> int:
    import os
    from ..argoserver.app import serve
    return serve(host=a.host, port=a.port, token=a.token or os.environ.get("JUPYTER_FLOW_SERVER_TOKEN") or None,
                 auth_mode=a.auth_mode, certfile=a.certfile, keyfile=a.keyfile)


def main(argv: Sequence[str] | None = None) -> int:
    from ..errors import JupyterFlowError
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args) or 0
    except JupyterFlowError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except FileNotFoundError as exc:
        print(f"{exc.filename}: no such file", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
