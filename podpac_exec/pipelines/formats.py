"""Which PODPAC pipeline format a definition is written in.

The formats in circulation (from PODPAC's own history):

* **1.x pipeline**: ``{"nodes": {ref: spec, ...}, "output": {"node": ref, "mode": ...}}``
  (``pipeline_output`` in some 1.x files), the ``Pipeline`` class's format, removed in 2.0.
* **1.x node definition**: refs at the top level, with node-level ``source`` (a data source's
  source), ``lookup_source``, ``sources`` (a compositor's) and ``interpolation`` keys.
* **2.x/3.x**: PODPAC 4's layout (``node``, ``attrs``, ``inputs``, ``lookup_attrs``), but data
  sources interpolate themselves: ``attrs.interpolation`` (default ``nearest``), which 4.0 moved
  into a separate ``Interpolate`` node. Written with ``podpac_version`` 2.x or 3.x.
* **4.x**: the current format. PODPAC 4 also accepts ``lookup_attrs`` and inputs defined after
  the node using them, which podpac-exec's loader does not: the upgrader rewrites those too.

Class paths from before 2.0 (``core.algorithm.algorithm.SinCoords``) or 3.x's ``*Raw`` data
sources mark a file as older than 4.x even without a version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from podpac_exec.pipelines.paths import resolve

#: Node-level keys of PODPAC 1.x node definitions (moved into ``attrs``/``inputs`` in 2.0).
NODE_LEVEL_KEYS = ("source", "lookup_source", "sources", "interpolation")
#: Keys of the current format's node entries.
CURRENT_KEYS = ("node", "plugin", "attrs", "inputs", "style", "style_class")
META_KEYS = ("podpac_version", "podpac_output_node")
PIPELINE_KEYS = ("nodes", "output", "pipeline_output", "podpac_version")


@dataclass(frozen=True)
class Format:
    """A definition's format: ``label`` for messages; ``interpolating_sources``: its data
    sources interpolate themselves (every format before 4.0)."""

    label: str
    interpolating_sources: bool
    pipeline: bool = False  # the 1.x {"nodes", "output"} wrapper


CURRENT = Format("PODPAC 4.x", interpolating_sources=False)


def is_pipeline_format(definition: Mapping[str, Any]) -> bool:
    """The 1.x ``{"nodes": ..., "output": ...}`` wrapper (not a 4.x pipeline with a ref named "nodes")."""
    nodes = definition.get("nodes")
    return (
        isinstance(nodes, Mapping)
        and not isinstance(nodes.get("node"), str)
        and all(key in PIPELINE_KEYS for key in definition)
    )


def major_version(definition: Mapping[str, Any]) -> int | None:
    version = definition.get("podpac_version")
    if not isinstance(version, str):
        return None
    head = version.strip().split(".", 1)[0]
    return int(head) if head.isdigit() else None


def detect(definition: Mapping[str, Any]) -> Format:
    """The format of ``definition`` (a mapping; anything else is left to the loader)."""
    if is_pipeline_format(definition):
        return Format("PODPAC 1.x pipeline format", interpolating_sources=True, pipeline=True)
    specs = [spec for ref, spec in definition.items() if ref not in META_KEYS and isinstance(spec, Mapping)]
    if any(key in spec for spec in specs for key in NODE_LEVEL_KEYS):
        return Format("PODPAC 1.x node definitions", interpolating_sources=True)
    major = major_version(definition)
    if major is not None and major < 4:
        return Format(f"PODPAC {definition['podpac_version']}", interpolating_sources=True)
    if major is None:
        for spec in specs:
            name = spec.get("node")
            if not isinstance(name, str) or "plugin" in spec:
                continue
            found = resolve(name)
            if found is not None and (found.raw or name not in found.cls.names):
                # 3.x's *Raw sources did not interpolate; the upgrader leaves those unwrapped
                return Format("PODPAC 1.x-3.x (old class paths)", interpolating_sources=True)
    return CURRENT
