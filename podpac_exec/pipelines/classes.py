"""PODPAC 4.0.5's node class tree (``podpac_classes.json``, recorded from the real PODPAC by
``tests/data/podpac_reference/podpac_classes_generate.py``): paths, short names, kinds, attrs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_FILE = Path(__file__).with_name("podpac_classes.json")


@dataclass(frozen=True)
class PodpacClass:
    """One PODPAC 4.0.5 node class."""

    path: str  # what PODPAC writes as "node", e.g. "core.algorithm.utility.SinCoords"
    name: str
    aliases: tuple[str, ...]  # short public names PODPAC also resolves ("algorithm.SinCoords")
    kind: str  # datasource, compositor, algorithm, interpolation or node
    abstract: bool
    attrs: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.path, *self.aliases)


@dataclass(frozen=True)
class PodpacClasses:
    """Every PODPAC 4.0.5 node class, by path, alias and class name."""

    version: str
    classes: tuple[PodpacClass, ...]

    def by_name(self, name: str) -> PodpacClass | None:
        """The class PODPAC 4.0.5 resolves for ``name`` (a full path or a short alias)."""
        return _index(self)[0].get(name)

    def by_class_name(self, name: str) -> PodpacClass | None:
        """The class named ``name`` (the last part of a path), when exactly one has that name."""
        found = _index(self)[1].get(name, ())
        return found[0] if len(found) == 1 else None


@lru_cache(maxsize=4)
def _index(classes: PodpacClasses) -> tuple[dict[str, PodpacClass], dict[str, tuple[PodpacClass, ...]]]:
    names: dict[str, PodpacClass] = {}
    by_class: dict[str, list[PodpacClass]] = {}
    for cls in classes.classes:
        for name in cls.names:
            names.setdefault(name, cls)
        by_class.setdefault(cls.name, []).append(cls)
    return names, {k: tuple(v) for k, v in by_class.items()}


@lru_cache(maxsize=1)
def podpac_classes() -> PodpacClasses:
    """The recorded class tree (read once)."""
    data = json.loads(_FILE.read_text())
    return PodpacClasses(
        version=data["podpac"],
        classes=tuple(
            PodpacClass(c["path"], c["name"], tuple(c["aliases"]), c["kind"], c["abstract"], tuple(c["attrs"]))
            for c in data["classes"]
        ),
    )
