"""Argo's naming rules, for every name a workflow gives that jupyter-flow turns into a path or an id.

A run's name becomes its directory (``runs/<name>/``) and the prefix of its node ids and pod names;
an output artifact's name becomes ``artifacts/<node id>/<name>``. Argo accepts only names that are
safe there, and so do we, with Argo's own rules (workflow/validate/validate.go and the Kubernetes
object-name checks the API server applies before it):

- Workflow, WorkflowTemplate, ClusterWorkflowTemplate ``metadata.name``: a DNS-1123 subdomain
  (lower-case letters, digits, ``-`` and ``.``, starting and ending with a letter or digit) of at
  most 63 characters (``maxCharsInObjectName``: the name is also a label value);
- CronWorkflow ``metadata.name``: the same, at most 52 characters (``maxCharsInCronWorkflowName``:
  its runs are named ``<cron>-<unix time>``, which must still fit in 63);
- ``metadata.generateName``: a DNS-1123 subdomain prefix (it may end with ``-``); the API server
  keeps its first 58 characters and appends 5 random ones (``SimpleNameGenerator``);
- template, step and DAG task names: ``[a-zA-Z0-9][-a-zA-Z0-9]*``, at most 128 characters
  (``isValidWorkflowFieldName``; a step name's ``{{...}}`` tags count as one letter, ``isValidStepName``);
- parameter and artifact names and ``globalName``: ``[-a-zA-Z0-9_]+`` (``isValidParamOrArtifactName``;
  Argo checks them after replacing ``{{inputs...}}`` with placeholders, so the engine checks an output
  artifact's name again once substituted, before it becomes a path).

Each ``*_problem`` function answers None for a good name, else what is wrong, as a sentence to
follow ``<field>: ``. Pure functions: imported by the spec lint, the store and the engine alike.
"""
from __future__ import annotations

import re

from jupyter_flow.errors import JupyterFlowError

MAX_OBJECT_NAME = 63          # validate.go maxCharsInObjectName
MAX_CRON_NAME = 52            # validate.go maxCharsInCronWorkflowName
MAX_SUBDOMAIN = 253           # k8s IsDNS1123Subdomain
MAX_GENERATED_PREFIX = 58     # k8s SimpleNameGenerator: 63 - 5 random characters
MAX_FIELD_NAME = 128          # validate.go workflowFieldMaxLength
GENERATED_SUFFIX = 5

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN = re.compile(rf"{_LABEL}(\.{_LABEL})*\Z")
_LABEL_RE = re.compile(rf"{_LABEL}\Z")
_FIELD = re.compile(r"[a-zA-Z0-9][-a-zA-Z0-9]*\Z")
_PARAM_OR_ARTIFACT = re.compile(r"[-a-zA-Z0-9_]+\Z")
_TAG = re.compile(r"\{\{.*?\}\}", re.S)

_SUBDOMAIN_RULE = ("must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', "
                   "starting and ending with a letter or digit (e.g. my-workflow)")


def is_dns1123_subdomain(name: object) -> bool:
    """A Kubernetes object name (k8s IsDNS1123Subdomain): a claim name, a Workflow's before Argo's own limit."""
    return isinstance(name, str) and len(name) <= MAX_SUBDOMAIN and bool(_SUBDOMAIN.match(name))


def is_dns1123_label(name: object) -> bool:
    """A Kubernetes label-like name (k8s IsDNS1123Label): a container name, a namespace."""
    return isinstance(name, str) and len(name) <= MAX_OBJECT_NAME and bool(_LABEL_RE.match(name))

def _shown(name: str) -> str:
    return repr(name if len(name) <= 80 else name[:77] + "...")


def object_name_problem(name: object, kind: str = "Workflow") -> str | None:
    """What is wrong with ``name`` as the ``metadata.name`` of a ``kind``, or None."""
    if not isinstance(name, str) or not name:
        return "a name is required"
    limit = MAX_CRON_NAME if kind == "CronWorkflow" else MAX_OBJECT_NAME
    if len(name) > limit:
        return f"{kind} name {_shown(name)} must not be more than {limit} characters long (currently {len(name)})"
    if not _SUBDOMAIN.match(name):
        return f"{kind} name {_shown(name)} is invalid: it {_SUBDOMAIN_RULE}"
    return None


def generate_name_problem(prefix: object) -> str | None:
    """What is wrong with ``prefix`` as a ``metadata.generateName``, or None."""
    if not isinstance(prefix, str) or not prefix:
        return "generateName must be a non-empty string"
    if len(prefix) > MAX_SUBDOMAIN:
        return f"generateName {_shown(prefix)} must not be more than {MAX_SUBDOMAIN} characters long"
    masked = prefix[:-1] + "a" if prefix.endswith("-") else prefix   # k8s maskTrailingDash
    if not _SUBDOMAIN.match(masked):
        return f"generateName {_shown(prefix)} is invalid: it {_SUBDOMAIN_RULE}; it may end with '-'"
    return None


def generated_name(prefix: str, suffix: str) -> str:
    """The name the API server makes from ``generateName``: its first 58 characters + ``suffix``."""
    return prefix[:MAX_GENERATED_PREFIX] + suffix


def field_name_problem(name: object, what: str = "name") -> str | None:
    """A template, step or DAG task name (step names may hold ``{{...}}`` tags)."""
    if not isinstance(name, str) or not name:
        return None   # a missing name is reported by the checks that need one
    skeleton = _TAG.sub("x", name) if "{{" in name else name
    if len(skeleton) > MAX_FIELD_NAME:
        return f"{what} {_shown(name)} must be no more than {MAX_FIELD_NAME} characters"
    if not _FIELD.match(skeleton):
        return (f"{what} {_shown(name)} is invalid: it must consist of alpha-numeric characters or '-', "
                "and must start with an alpha-numeric character (e.g. My-name1-2, 123-NAME)")
    return None


def param_or_artifact_name_problem(name: object, what: str = "name", *, tags: bool = True) -> str | None:
    """A parameter or artifact name, or a ``globalName``. With ``tags`` (a document, before the
    run), a ``{{...}}`` tag counts as one letter, as Argo validates after substituting placeholders;
    the value it gets at run time is checked again then (``tags=False``)."""
    if not isinstance(name, str) or not name:
        return None
    if not _PARAM_OR_ARTIFACT.match(_TAG.sub("x", name) if tags and "{{" in name else name):
        return (f"{what} {_shown(name)} is invalid: a parameter/artifact name must consist of alpha-numeric "
                "characters, '_' or '-' (e.g. my_param_1, MY-PARAM-1)")
    return None


def check_run_name(name: object) -> str:
    """``name`` if a run may be created under it (a Workflow name); else ``JupyterFlowError``.

    The check every surface's new run passes through (``Store.create_run``), whatever built it.
    """
    problem = object_name_problem(name)
    if problem:
        raise JupyterFlowError(f"metadata.name: {problem}")
    return name  # type: ignore[return-value]
