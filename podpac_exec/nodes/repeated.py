"""Nodes that appear more than once in a pipeline, evaluated once per evaluation.

A pipeline may hold the same node (equal definitions: equal hashes) under several consumers,
such as one source feeding both an expression and its mask. Within :func:`evaluating` such a
node's values at one request are computed once and handed to every consumer; they are then no
consumer's to write into (``Node.gives_fresh_values`` says so). The values are kept until the
evaluation ends.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator

if TYPE_CHECKING:
    from podpac_exec.coordinates import Coordinates
    from podpac_exec.nodes.base import Node

Values = tuple[Any, tuple[str, ...]]


@dataclass
class _Memo:
    repeated: frozenset[str]
    #: (node hash, id of the request) -> (the request, kept so its id stays its own; the values)
    values: dict[tuple[str, int], tuple["Coordinates", Values]] = field(default_factory=dict)


_ACTIVE: contextvars.ContextVar[_Memo | None] = contextvars.ContextVar("podpac_exec_repeated", default=None)


def repeated_nodes(root: "Node") -> frozenset[str]:
    """Hashes of the nodes that are the input of more than one consumer below ``root``."""
    cached = root.__dict__.get("_repeated_nodes")
    if cached is None:  # nodes are immutable
        counts: Counter[str] = Counter()
        expanded = {root.hash}
        stack = [root]
        while stack:
            for child in stack.pop().input_nodes():
                counts[child.hash] += 1
                if child.hash not in expanded:
                    expanded.add(child.hash)
                    stack.append(child)
        cached = root.__dict__["_repeated_nodes"] = frozenset(h for h, n in counts.items() if n > 1)
    return cached


@contextlib.contextmanager
def evaluating(root: "Node") -> Iterator[None]:
    """Evaluate ``root``'s repeated nodes once per request within the block (nests: an inner
    block of a graph without repeats keeps the outer one)."""
    repeated = repeated_nodes(root)
    if not repeated:
        yield
        return
    token = _ACTIVE.set(_Memo(repeated))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def is_shared(node: "Node") -> bool:
    """Whether ``node``'s values are handed to several consumers in the running evaluation."""
    memo = _ACTIVE.get()
    return memo is not None and node.hash in memo.repeated


def shared_values(node: "Node", coordinates: "Coordinates", compute: Callable[[], Values]) -> Values:
    """``compute()``, or the values it gave ``node`` at this request earlier in the evaluation."""
    memo = _ACTIVE.get()
    if memo is None or node.hash not in memo.repeated:
        return compute()
    key = (node.hash, id(coordinates))
    found = memo.values.get(key)
    if found is None:
        found = memo.values[key] = (coordinates, compute())
    return found[1]
