"""What a container with no ``command`` runs: its image's ENTRYPOINT and CMD, for known images.

Kubernetes runs ``command`` if given, else the image's ENTRYPOINT; ``args`` replace the image's
CMD, which otherwise follows the ENTRYPOINT. The local backend pulls no image, so it cannot read
them: this table holds those of the images Argo's examples and docs use. An image missing from it
with no ``command`` is an error naming the step (the container backend reads the real image).
"""
from __future__ import annotations

# repository (no registry, no ``library/``, no tag) -> (ENTRYPOINT, CMD); a "name:tag" key wins
IMAGE_DEFAULTS: dict[str, tuple[list[str], list[str]]] = {
    "busybox": ([], ["sh"]),
    "alpine": ([], ["/bin/sh"]),
    "ubuntu": ([], ["/bin/bash"]),
    "debian": ([], ["bash"]),
    "bash": ([], ["bash"]),            # its docker-entrypoint.sh only execs CMD
    "python": ([], ["python3"]),
    "argoproj/argosay:v2": (["/argosay"], []),
    "argoproj/argosay:v1": (["cowsay"], []),
    "docker/whalesay": (["cowsay"], []),
}


def repository(image: str) -> tuple[str, str]:
    """``(repository, tag)`` of an image reference: ``docker.io/library/python:3.12@sha256:..``
    is ``("python", "3.12")``."""
    ref = image.split("@", 1)[0]
    name, tag = ref, ""
    if ":" in ref.rsplit("/", 1)[-1]:
        name, tag = ref.rsplit(":", 1)
    for prefix in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    if name.startswith("library/"):
        name = name[len("library/"):]
    return name, tag


def default_argv(image: str, args: list[str]) -> list[str] | None:
    """The argv Kubernetes would run for ``image`` with no ``command`` and these ``args``, or None
    when the image's ENTRYPOINT/CMD are unknown here."""
    name, tag = repository(image or "")
    known = IMAGE_DEFAULTS.get(f"{name}:{tag}") or IMAGE_DEFAULTS.get(name)
    if known is None:
        return None
    entrypoint, cmd = known
    argv = list(entrypoint) + (list(args) if args else list(cmd))
    return argv or None
