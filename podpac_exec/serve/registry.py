"""The pipelines a server may serve: only those registered by name are reachable."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from podpac_exec.nodes.base import Node
from podpac_exec.serve.errors import ServeRequestError

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
WORLD = (-180.0, -90.0, 180.0, 90.0)


@dataclass
class ServedPipeline:
    """One served pipeline: ``bounds`` are (west, south, east, north) in degrees."""

    name: str
    node: Node
    title: str = ""
    bounds: tuple[float, float, float, float] = WORLD
    _range: tuple[float, float] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if not NAME_PATTERN.match(self.name):
            raise ServeRequestError(
                f"pipeline name {self.name!r} must be 1-64 letters, digits, '_', '.' or '-'", field="name"
            )
        west, south, east, north = self.bounds
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise ServeRequestError(f"pipeline {self.name!r}: bounds {self.bounds} are not a lat/lon box", field="bounds")
        self.title = self.title or self.name

    @property
    def hash(self) -> str:
        return self.node.hash

    @property
    def known_range(self) -> tuple[float, float] | None:
        """The value range once computed (None before)."""
        return self._range

    def value_range(self, compute: Callable[[], tuple[float, float]]) -> tuple[float, float]:
        """The (min, max) the default colour scale spans, from ``compute()`` once."""
        with self._lock:
            if self._range is None:
                self._range = compute()
            return self._range


class Registry:
    """Served pipelines by name, in registration order."""

    def __init__(self, pipelines: Iterable[ServedPipeline] = ()) -> None:
        self._by_name: dict[str, ServedPipeline] = {}
        for pipeline in pipelines:
            self.add(pipeline)

    def add(self, pipeline: ServedPipeline) -> None:
        if pipeline.name in self._by_name:
            raise ServeRequestError(f"pipeline name {pipeline.name!r} is registered twice", field="name")
        self._by_name[pipeline.name] = pipeline

    def __iter__(self) -> Iterator[ServedPipeline]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def names(self) -> list[str]:
        return list(self._by_name)

    def get(self, name: str | None, field: str = "layer", code: str | None = "LayerNotDefined") -> ServedPipeline:
        """The pipeline ``name``; without a name, the only one registered."""
        if not name:
            if len(self._by_name) == 1:
                return next(iter(self._by_name.values()))
            raise ServeRequestError(
                f"{field} is required: this server serves {', '.join(self._by_name)}", field=field, code=code
            )
        try:
            return self._by_name[name]
        except KeyError:
            raise ServeRequestError(
                f"unknown {field} {name!r}; served: {', '.join(self._by_name)}", field=field, status=404, code=code
            ) from None


def load_pipeline(argument: str) -> ServedPipeline:
    """``NAME=PATH`` or ``PATH`` (named after the file's stem) as a served pipeline."""
    name, sep, path = argument.partition("=")
    if not sep:
        name, path = Path(argument).stem, argument
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ServeRequestError(f"cannot read pipeline file {path}: {exc.strerror or exc}", field="pipeline") from None
    return ServedPipeline(name=name, node=Node.from_json(text), title=name)
