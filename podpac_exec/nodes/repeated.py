"""Nodes that appear more than once in a pipeline, evaluated once per evaluation.

A pipeline may hold the same node (equal definitions: equal hashes) under several consumers,
such as one data source feeding both an expression and its mask. Within :func:`evaluating`
such a node's values at one request are computed once and handed to every consumer; they are
then no consumer's to write into (``Node.gives_fresh_values`` says so). An entry is dropped
once every consumer has taken it, else when the evaluation ends.

Nodes that give fresh values (``Node.declares_fresh_values``: Arange, SinCoords, Arithmetic,
Mask) are left out: each consumer gets its own array to write its result into, and measured
here that beat one evaluation plus a new array per consumer (fresh memory is what such nodes
cost most).
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
    #: hash -> how many consumers take the node's values
    repeated: dict[str, int]
    #: (node hash, id of the request) -> [the request (kept so its id stays its own), the values,
    #: consumers still to take them]
    values: dict[tuple[str, int], list[Any]] = field(default_factory=dict)


_ACTIVE: contextvars.ContextVar[_Memo | None] = contextvars.ContextVar("podpac_exec_repeated", default=None)


def repeated_nodes(root: "Node") -> dict[str, int]:
    """Hash -> number of consumers of each node below ``root`` that more than one consumer
    takes as input, nodes giving fresh values left out."""
    cached = root.__dict__.get("_repeated_nodes")
    if cached is None:  # nodes are immutable
        counts: Counter[str] = Counter()
        shareable: set[str] = set()
        expanded = {root.hash}
        stack = [root]
        while stack:
            for child in stack.pop().input_nodes():
                counts[child.hash] += 1
                if child.hash not in expanded:
                    expanded.add(child.hash)
                    stack.append(child)
                    if not child.declares_fresh_values():
                        shareable.add(child.hash)
        cached = root.__dict__["_repeated_nodes"] = {h: n for h, n in counts.items() if n > 1 and h in shareable}
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
        found = memo.values[key] = [coordinates, compute(), memo.repeated[node.hash]]
    found[2] -= 1
    if found[2] <= 0:  # every consumer has it: the values live as long as they hold them
        del memo.values[key]
    return found[1]
