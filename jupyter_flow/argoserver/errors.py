"""Argo Server's errors: gRPC codes, and the gRPC-gateway JSON body and HTTP status of each.

Argo's REST API is grpc-gateway (v1.16) over gRPC services, so an error is
``{"code": <gRPC code>, "message": ..., "error": ..., "details": []}`` with the HTTP status that
``runtime.HTTPStatusFromCode`` gives the code; clients (Hera's ``exception_from_server_response``,
the SDK's ``ApiException``) look at the status, people at the message.
"""
from __future__ import annotations

import json

from ..errors import JupyterFlowError

INVALID_ARGUMENT = 3
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
UNIMPLEMENTED = 12
INTERNAL = 13
UNAUTHENTICATED = 16

# runtime.HTTPStatusFromCode (grpc-gateway v1.16)
HTTP_STATUS = {INVALID_ARGUMENT: 400, NOT_FOUND: 404, ALREADY_EXISTS: 409, PERMISSION_DENIED: 403,
               RESOURCE_EXHAUSTED: 429, FAILED_PRECONDITION: 400, UNIMPLEMENTED: 501, INTERNAL: 500,
               UNAUTHENTICATED: 401}


class ArgoError(JupyterFlowError):
    """A request refused the way Argo Server refuses it."""

    def __init__(self, code: int, message: str, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self._status = status

    @property
    def status(self) -> int:
        return self._status or HTTP_STATUS.get(self.code, 500)

    def body(self) -> str:
        return json.dumps({"code": self.code, "message": self.message, "error": self.message, "details": []})


def not_found(kind: str, name: str) -> ArgoError:
    """Kubernetes' NotFound text, as Argo passes it on: ``workflows.argoproj.io "x" not found``."""
    return ArgoError(NOT_FOUND, f'{kind}.argoproj.io "{name}" not found')


def already_exists(kind: str, name: str) -> ArgoError:
    return ArgoError(ALREADY_EXISTS, f'{kind}.argoproj.io "{name}" already exists')


def invalid(message: str) -> ArgoError:
    return ArgoError(INVALID_ARGUMENT, message)


def unimplemented(what: str) -> ArgoError:
    return ArgoError(UNIMPLEMENTED, f"{what} is not implemented by jupyter-flow server "
                                    "(see docs/argo-server.md)")
