"""Node types by name: PODPAC's full and short class names, and plugin nodes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from podpac_exec.errors import PipelineError, PluginError
from podpac_exec.nodes.base import Node, _plugin_name


@dataclass(frozen=True)
class NodeRecord:
    """One registered node type and the plugin that provided it."""

    cls: type[Node]
    provider: str

    @property
    def name(self) -> str:
        return self.cls.podpac_name or _plugin_name(self.cls)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.cls.podpac_aliases)


class NodeRegistry:
    """Maps every accepted name of every registered node type to its class."""

    def __init__(self, records: Iterable[NodeRecord]) -> None:
        self._by_name: dict[str, NodeRecord] = {}
        self._records: list[NodeRecord] = []
        for record in records:
            if not (isinstance(record.cls, type) and issubclass(record.cls, Node)):
                raise PluginError(f"plugin {record.provider!r} registered {record.cls!r}, which is not a Node subclass")
            if any(r.cls is record.cls for r in self._records):
                continue
            for name in record.names:
                other = self._by_name.get(name)
                if other is not None:
                    raise PluginError(
                        f"node name {name!r} is registered twice: by {other.provider!r} "
                        f"({other.cls.__qualname__}) and by {record.provider!r} ({record.cls.__qualname__})"
                    )
                self._by_name[name] = record
            self._records.append(record)

    @property
    def records(self) -> list[NodeRecord]:
        return sorted(self._records, key=lambda r: r.name)

    def lookup(self, name: str, *, field: str | None = None) -> type[Node]:
        record = self._by_name.get(name)
        if record is None:
            known = ", ".join(r.name for r in self.records)
            raise PipelineError(f"unknown node type {name!r}; known node types: {known}", field=field)
        return record.cls


@lru_cache(maxsize=1)
def _cached_registry(generation: int) -> NodeRegistry:
    """The registry of plugin generation ``generation`` (the argument keys the cache)."""
    from podpac_exec.plugins.manager import get_plugin_manager

    pm = get_plugin_manager()
    records = []
    for impl in pm.hook.podpac_exec_register_nodes.get_hookimpls():  # registration order
        for cls in impl.function() or []:
            records.append(NodeRecord(cls, impl.plugin_name))
    return NodeRegistry(records)


def get_node_registry() -> NodeRegistry:
    """The registry of the current plugin manager (rebuilt when plugins change)."""
    from podpac_exec.plugins.manager import get_plugin_manager, plugin_generation

    get_plugin_manager()
    return _cached_registry(plugin_generation())
