"""Opening a data source's file or store, local or on S3, once the source policy allows it.

Every file-reading node goes through :func:`locate` (policy, scheme, existence) and then
:func:`open_binary` or :func:`s3_options`; failures become one-line :class:`PipelineError`s
that name the node and its ``attrs.source``, with secrets redacted.
"""

from __future__ import annotations

import os
from typing import IO, Any

from podpac_exec.errors import PipelineError
from podpac_exec.nodes.sources import check_source_url, redact_credentials

FIELD = "attrs.source"


def s3_options(anon: bool) -> dict[str, Any]:
    """fsspec/s3fs options: the usual credential chain, the endpoint from ``AWS_ENDPOINT_URL_S3``
    or ``AWS_ENDPOINT_URL`` (the emulator), unsigned requests when ``anon``."""
    options: dict[str, Any] = {"anon": anon}
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        options["endpoint_url"] = endpoint
    return options


def locate(node: str, source: Any) -> str:
    """The location to open for ``source``: checked by the policy; a local path must exist."""
    if not source:
        raise PipelineError(f"{node} needs a 'source' path or URL", field=FIELD)
    location = check_source_url(source)  # a local path comes back resolved: open what was checked
    if location.startswith("s3://"):
        return location
    if "://" in location:
        scheme = location.split("://", 1)[0]
        raise PipelineError(f"{node}: unsupported URL scheme {scheme!r} in {source!r}; use a path, file:// or s3://", field=FIELD)
    if not os.path.exists(location):
        raise PipelineError(f"{node} source {source!r} does not exist", field=FIELD)
    return location


def open_binary(location: str, anon: bool = False) -> IO[bytes]:
    """A seekable binary file object: a local file, or an S3 object read by byte ranges."""
    if location.startswith("s3://"):
        import fsspec

        return fsspec.open(location, "rb", **s3_options(anon)).open()
    return open(location, "rb")


def source_error(node: str, source: str, exc: BaseException, what: str = "cannot read") -> PipelineError:
    """A foreign library's failure as one line naming the node and its source."""
    detail = " ".join(str(exc).split()) or type(exc).__name__
    if len(detail) > 200:
        detail = detail[:197] + "..."
    return PipelineError(redact_credentials(f"{node} {what} {source!r}: {detail}"), field=FIELD)
