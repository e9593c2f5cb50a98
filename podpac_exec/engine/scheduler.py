"""Connecting to a dask.distributed scheduler: the address is checked before anything is created.

``distributed.Client`` retries a malformed address forever and waits 30 s on an unreachable one,
then raises a traceback; here the address is parsed first (bad input, one line) and the host
probed with a short TCP connect, so a wrong address fails within a few seconds.
"""

from __future__ import annotations

import socket
import threading
from typing import Any
from urllib.parse import urlsplit

from podpac_exec.errors import ClusterUnavailableError, SettingsError

SCHEMES = ("tcp", "tls")
CONNECT_TIMEOUT_S = 3.0


def check_scheduler_address(address: str, *, field: str = "dask.scheduler_address") -> tuple[str, int]:
    """``(host, port)`` of a ``tcp://HOST:PORT`` (or ``tls://``) address; ``SettingsError`` if malformed."""
    text = address.strip()
    bad = SettingsError(f"{field}: expected tcp://HOST:PORT, got {address!r}", field=field)
    if "://" not in text:
        raise bad
    parts = urlsplit(text)
    if parts.scheme not in SCHEMES or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise bad
    try:
        port = parts.port
    except ValueError:
        raise bad from None
    if not parts.hostname or port is None or not 0 < port < 65536:
        raise bad
    return parts.hostname, port


def probe_scheduler(address: str, *, field: str = "dask.scheduler_address", timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Fail fast (``ClusterUnavailableError``) when nothing listens at ``address``."""
    host, port = check_scheduler_address(address, field=field)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or type(exc).__name__)
        raise ClusterUnavailableError(f"{field}: no dask scheduler reachable at {address} ({reason})", field=field) from None


def connect_scheduler(address: str, *, field: str = "dask.scheduler_address", timeout: float = CONNECT_TIMEOUT_S) -> Any:
    """A ``distributed.Client`` on ``address``, checked and probed first; one-line errors only."""
    probe_scheduler(address, field=field, timeout=timeout)
    # Client() can wait forever on a peer that accepts but never completes dask's handshake (its
    # own timeout covers the connect only), so it is created in a thread given a deadline.
    outcome: dict[str, Any] = {}
    thread = threading.Thread(target=_new_client, args=(address, timeout, outcome), daemon=True)
    thread.start()
    thread.join(timeout + 3)
    if "client" in outcome:
        return outcome["client"]
    reason = type(outcome["error"]).__name__ if "error" in outcome else "timed out"
    raise ClusterUnavailableError(
        f"{field}: {address} accepted a connection but no dask scheduler answered ({reason})", field=field
    )


def _new_client(address: str, timeout: float, outcome: dict[str, Any]) -> None:
    from distributed import Client

    try:
        outcome["client"] = Client(address, set_as_default=False, timeout=f"{timeout + 2}s")
    except Exception as exc:  # noqa: BLE001 - reported by the caller as one line
        outcome["error"] = exc
