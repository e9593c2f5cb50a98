"""The error of a served request: an HTTP status and, for OGC services, the exception code."""

from __future__ import annotations

from podpac_exec.errors import PodpacExecError


class ServeRequestError(PodpacExecError, ValueError):
    """A request the server refuses: ``status`` is the HTTP status, ``code`` the OGC exception
    code (``None``: the standard defines none for this case), ``field`` the offending parameter."""

    def __init__(self, message: str, *, field: str | None = None, status: int = 400, code: str | None = None) -> None:
        super().__init__(message, field=field)
        self.status = status
        self.code = code
