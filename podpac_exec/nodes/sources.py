"""Which ``Dataset`` sources a pipeline may open: checked here, before any I/O.

The policy comes from the ``[sources]`` settings (``allowed_schemes``; ``allowed_buckets``, each
``bucket`` or ``bucket/prefix``; ``allow_local_paths``; ``local_roots``; ``allow_internal_addresses``).
A backend that runs pipelines somewhere else confines them there by a settings overlay of its own
(the Lambda function allows only its code directory and public addresses).

``redact_credentials`` removes the values of secret-looking environment variables from text that
may leave the process (error messages built from a foreign library's exception).
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Mapping
from typing import Any

from podpac_exec.errors import PipelineError

FIELD = "attrs.source"
#: Host names of cloud metadata services, refused for any network scheme.
METADATA_HOSTS = frozenset(
    {"metadata.google.internal", "metadata", "instance-data", "instance-data.ec2.internal", "metadata.azure.com"}
)
_NETWORK_SCHEMES = frozenset({"http", "https"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_BUCKET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")
_LEGACY_IPV4 = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.I)


class SourceNotAllowedError(PipelineError):
    """A ``Dataset`` source is outside the configured source policy."""


def check_source_url(url: Any, settings: Mapping[str, Any] | None = None) -> str:
    """Check ``url`` against the source policy and return the location to open.

    Local paths (bare or ``file://``) come back resolved (symlinks and ``..`` followed), so the
    caller opens exactly what was checked. Raises :class:`SourceNotAllowedError` naming
    ``attrs.source``.
    """
    if settings is None:
        from podpac_exec.settings import settings as _settings

        settings = _settings.snapshot()
    if not isinstance(url, str) or not url:
        raise SourceNotAllowedError("a source must be a non-empty path or URL", field=FIELD)
    if "\x00" in url or "::" in url:
        # '::' chains fsspec filesystems (zip::s3://..., simplecache::...), which would bypass this check
        raise _refuse(url, "chained ('::') URLs and NUL characters are not allowed")
    allowed = {str(s).lower() for s in settings["sources.allowed_schemes"]}
    match = _SCHEME.match(url)
    if "://" in url and match is None:
        raise _refuse(url, "it is not a well-formed URL")
    scheme = match.group(1).lower() if match else "file"
    if scheme not in allowed:
        listed = ", ".join(sorted(allowed)) or "none"
        raise _refuse(url, f"scheme {scheme!r} is not allowed (sources.allowed_schemes: {listed})")
    if scheme == "file":
        return _check_local(url, match is not None, settings)
    rest = url[match.end() :] if match else url
    if scheme == "s3":
        return _check_s3(url, rest, settings)
    if scheme in _NETWORK_SCHEMES:
        _check_host(url, rest, bool(settings["sources.allow_internal_addresses"]))
    return f"{scheme}://{rest}"


def _refuse(url: str, reason: str) -> SourceNotAllowedError:
    return SourceNotAllowedError(f"source {url!r} is not allowed: {reason}", field=FIELD)


def _check_local(url: str, is_url: bool, settings: Mapping[str, Any]) -> str:
    path = url
    if is_url:
        host, slash, rest = url[len("file://") :].partition("/")
        if host not in ("", "localhost"):
            raise _refuse(url, f"file:// URLs name no host, got {host!r}")
        path = slash + rest
    allow = bool(settings["sources.allow_local_paths"])
    roots = [str(r) for r in settings["sources.local_roots"] if str(r)]
    if not allow:
        raise _refuse(url, "local paths are not allowed here (sources.allow_local_paths)")
    try:
        resolved = os.path.realpath(os.path.abspath(path))
    except (OSError, ValueError) as exc:
        raise _refuse(url, f"the path cannot be resolved ({type(exc).__name__})") from None
    if roots and not any(_is_under(resolved, root) for root in roots):
        raise _refuse(url, f"the path is outside the allowed directories ({', '.join(roots)})")
    return resolved


def _is_under(path: str, root: str) -> bool:
    root = os.path.realpath(os.path.abspath(root))
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _check_s3(url: str, rest: str, settings: Mapping[str, Any]) -> str:
    bucket, _, key = rest.partition("/")
    if not _BUCKET.match(bucket):
        raise _refuse(url, f"{bucket!r} is not an S3 bucket name")
    allowed = [str(b).strip("/") for b in settings["sources.allowed_buckets"] if str(b).strip("/")]
    location = f"{bucket}/{key}"
    # an entry is a bucket or a bucket/prefix; S3 keys are literal ('..' is no parent), so a prefix test is exact
    if allowed and not any(location.startswith(entry + "/") for entry in allowed):
        listed = ", ".join(allowed)
        raise _refuse(url, f"s3://{bucket}/ is outside sources.allowed_buckets ({listed})")
    return f"s3://{location}"


def _check_host(url: str, rest: str, allow_internal: bool) -> None:
    """Refuse metadata services and link-local addresses (and, unless ``allow_internal``, any
    loopback or private address: a function runtime's own API may listen there)."""
    from urllib.parse import urlsplit

    try:
        host = (urlsplit(f"//{rest}").hostname or "").rstrip(".").lower()
    except ValueError:
        raise _refuse(url, "the host cannot be parsed") from None
    if not host:
        raise _refuse(url, "the URL names no host")
    if host in METADATA_HOSTS or host.endswith(".internal"):
        raise _refuse(url, f"host {host!r} is a metadata service")
    address = _ip_literal(host)
    if address is None:
        return  # a name: resolving it here would not stop DNS rebinding (see docs/security.md)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_link_local or address in _METADATA_ADDRESSES:
        raise _refuse(url, f"address {address} is link-local (metadata services live there)")
    if not allow_internal and (
        address.is_loopback or address.is_private or address.is_unspecified or address.is_reserved
    ):
        raise _refuse(url, f"address {address} is not a public address")


_METADATA_ADDRESSES = (ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"))


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if _LEGACY_IPV4.match(host):  # 2852039166, 0xa9fea9fe, 0251.0376.0251.0376: what inet_aton accepts
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def redact_credentials(text: str) -> str:
    """``text`` with the value of every secret-looking environment variable (credentials, tokens,
    passwords: :data:`~podpac_exec.settings.SECRET_PATTERN`) replaced by ``****``."""
    from podpac_exec.settings import SECRET_PATTERN

    for name, value in os.environ.items():
        if len(value) >= 4 and SECRET_PATTERN.search(name) and value in text:
            text = text.replace(value, "****")
    return text
