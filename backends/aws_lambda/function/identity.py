"""What a function (or a client) is: podpac-exec version, protocol, node set, dependency set.

The client asks the function with ``{"version": 1, "identify": true}`` before a run and refuses
a function whose protocol or node set differs from its own (``client/version.py``).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any, Mapping

IDENTIFY_FIELD = "identify"


def is_identify_request(event: Any) -> bool:
    return isinstance(event, Mapping) and event.get(IDENTIFY_FIELD) is True and set(event) <= {"version", IDENTIFY_FIELD}


def identity() -> dict[str, Any]:
    """This process's podpac-exec version, wire protocol, node set hash and dependency set hash."""
    from podpac_exec import __version__
    from podpac_exec.backends.aws_lambda.wire.protocol import PROTOCOL_VERSION

    return {
        "podpac_exec": __version__,
        "protocol": PROTOCOL_VERSION,
        "node_set": node_set_hash(),
        "dependencies": dependency_set_hash(),
    }


def identity_response() -> dict[str, Any]:
    from podpac_exec.backends.aws_lambda.wire.protocol import PROTOCOL_VERSION

    return {"version": PROTOCOL_VERSION, "identity": identity()}


def node_set_hash() -> str:
    """sha256 (16 hex digits) of every registered node type's names and attribute names."""
    from podpac_exec.nodes.registry import get_node_registry

    entries = []
    for record in get_node_registry().records:
        traits = sorted(getattr(record.cls, "class_traits", lambda: {})())
        entries.append(f"{'|'.join(record.names)}:{','.join(traits)}")
    return hashlib.sha256("\n".join(entries).encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def dependency_set_hash() -> str:
    """sha256 (16 hex digits) of the installed distributions (``name==version``, sorted)."""
    from importlib.metadata import distributions

    names = sorted({f"{(d.metadata['Name'] or '').lower()}=={d.version}" for d in distributions() if d.metadata["Name"]})
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]
