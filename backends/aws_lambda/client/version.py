"""The version lock: refuse to evaluate on a function whose protocol or node set is not the client's.

The function answers ``{"version": 1, "identify": true}`` with its identity
(``function/identity.py``); a function built before identities existed refuses the field with a
``ProtocolError``, which counts as a mismatch too. A function that answers something else (not
podpac-exec's handler) is left alone: its own answers will say what it is.
"""

from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING, Any

from podpac_exec.backends.aws_lambda.function.identity import IDENTIFY_FIELD, identity
from podpac_exec.engine.retry import RetryPolicy
from podpac_exec.errors import BackendError

if TYPE_CHECKING:
    from podpac_exec.backends.aws_lambda.client.backend import LambdaBackend
    from podpac_exec.plugins.backends import EvaluationOptions

REBUILD_HINT = "rebuild it with this client: `podpac-exec aws package && podpac-exec aws build`"
#: a function checked this recently is not asked again (a rebuild in between is rare)
CHECK_TTL_S = 300.0
#: the identity fields that must match; the others are shown by `aws status`
LOCKED = ("protocol", "node_set")


class VersionMismatchError(BackendError):
    """The function speaks another protocol or knows other nodes than this client."""


_checked: dict[tuple[int, str], float] = {}
_checked_lock = threading.Lock()


def remote_identity(backend: "LambdaBackend", policy: RetryPolicy, stats: Any = None) -> dict[str, Any] | None:
    """The function's identity; ``{}`` for a podpac-exec function that predates identities;
    None when the answer is not podpac-exec's. ``stats`` records the invocation (it is billed,
    and may be the run's cold start)."""
    return parse_identity(backend.identify(policy, stats))


def parse_identity(answer: Any) -> dict[str, Any] | None:
    """The identity in an identify answer (see :func:`remote_identity`)."""
    if isinstance(answer, Exception):
        old = getattr(answer, "remote_type", "") == "ProtocolError" and IDENTIFY_FIELD in str(answer)
        return {} if old else None
    try:
        doc = json.loads(answer)
    except (ValueError, UnicodeDecodeError):
        return None
    found = doc.get("identity") if isinstance(doc, dict) else None
    return found if isinstance(found, dict) else None


def compare(local: dict[str, Any], remote: dict[str, Any]) -> list[tuple[str, Any, Any, bool]]:
    """(field, client value, function value, must match) for every identity field."""
    return [(key, local.get(key), remote.get(key), key in LOCKED) for key in ("podpac_exec", *LOCKED, "dependencies")]


def mismatch_message(function: str, local: dict[str, Any], remote: dict[str, Any]) -> str | None:
    """The one-line refusal, or None when the locked fields agree."""
    if not remote:
        return (f"function {function!r} was built by a podpac-exec that does not report its version "
                f"(this client is {local['podpac_exec']}, protocol {local['protocol']}); {REBUILD_HINT}")
    differ = [f"{key} {theirs} (client: {ours})" for key, ours, theirs, locked in compare(local, remote)
              if locked and ours != theirs]
    if not differ:
        return None
    return (f"function {function!r} (podpac-exec {remote.get('podpac_exec')}) does not match this client "
            f"(podpac-exec {local['podpac_exec']}): {', '.join(differ)}; {REBUILD_HINT}")


def check_function(backend: "LambdaBackend", options: "EvaluationOptions") -> None:
    """Raise :class:`VersionMismatchError` before a run on a function that does not match."""
    if not backend.config.get("check_version", True):
        return
    function = str(backend.config["function_name"])
    key = (id(backend), function)
    with _checked_lock:
        if time.monotonic() - _checked.get(key, -CHECK_TTL_S) < CHECK_TTL_S:
            return
    remote = remote_identity(backend, RetryPolicy.from_settings(options.settings), options.stats)
    if remote is not None:
        message = mismatch_message(function, identity(), remote)
        if message:
            raise VersionMismatchError(message, field="aws_lambda.function_name")
    with _checked_lock:
        _checked[key] = time.monotonic()


def verify(backend: "LambdaBackend", policy: RetryPolicy | None = None) -> tuple[bool, str]:
    """``aws build``'s last step: ask the deployed function who it is, once. Returns (ok, one line).

    Not ok when the function fails (its dependencies do not import, say) or does not match this
    client. The invocation is the function's first: it stages the dependencies where later
    containers reuse them and leaves one container warm, so the first run after a build does
    not begin with that cold start."""
    from podpac_exec.engine.stats import EvaluationStats

    stats = EvaluationStats()
    function = str(backend.config["function_name"])
    try:
        answer = backend.identify(policy or RetryPolicy(max_attempts=2), stats)
    except BackendError as exc:
        return False, f"verify: function {function!r} could not be asked: {exc}"
    if isinstance(answer, Exception) and parse_identity(answer) is None:
        return False, f"verify: function {function!r} failed: {answer}"
    remote = parse_identity(answer)
    if remote is None:
        return True, f"verify: function {function!r} answered, but not as podpac-exec's handler does"
    message = mismatch_message(function, identity(), remote)
    if message:
        return False, f"verify: {message}"
    report = stats.invocations[-1] if stats.invocations else {}
    timing = f" in {report.get('duration_ms', 0):.0f} ms" if report else ""
    if report.get("init_ms"):
        timing += f" (a cold start: init {report['init_ms']:.0f} ms, dependencies staged for later containers)"
    return True, (f"verified: function {function!r} answers as podpac-exec {remote.get('podpac_exec')}, "
                  f"protocol {remote.get('protocol')}{timing}")


def status_lines(backend: "LambdaBackend", policy: RetryPolicy | None = None) -> list[str]:
    """``aws status``: the client's identity against the function's, field by field."""
    try:
        remote = remote_identity(backend, policy or RetryPolicy(max_attempts=2))
    except BackendError as exc:
        return [f"version: could not ask the function ({exc})"]
    local = identity()
    if remote is None:
        return ["version: the function does not answer podpac-exec's identify request"]
    lines = [f"{'version':<14}{'client':<20}{'function':<20}"]
    for key, ours, theirs, locked in compare(local, remote):
        mark = "" if ours == theirs else ("  MISMATCH" if locked else "  differs")
        lines.append(f"{key:<14}{str(ours):<20}{str(theirs if remote else 'unknown'):<20}{mark}")
    message = mismatch_message(str(backend.config["function_name"]), local, remote)
    lines.append(message or "version: the function matches this client")
    return lines
