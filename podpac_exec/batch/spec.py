"""Batch job specs (JSON or TOML): parsing and validation, every error naming its field.

```json
{"output": "out.zarr" | "s3://bucket/out.zarr",
 "backend": "local",                      (optional; default: settings ``backend``)
 "settings": {"tiling.max_tile_bytes": 8388608},           (optional, for this job)
 "storage_options": {"anon": false},      (optional fsspec options; never credentials)
 "chunks": {"lat": 256, "lon": 256},      (optional; default: one chunk per tile)
 "requests": [{"name": "wave", "pipeline": {...} | "pipeline.json",
               "coordinates": {...} | "coords.json",
               "chunks": {...}, "group": "region_a"}]}     (chunks, group optional)
```

Relative paths are resolved against the spec file's directory.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from podpac_exec.coordinates import Coordinates
from podpac_exec.errors import PodpacExecError
from podpac_exec.nodes.base import Node
from podpac_exec.settings import SECRET_PATTERN, normalize_keys

NAME_PATTERN = re.compile(r"^(?!__)[A-Za-z_][A-Za-z0-9_.-]*$")
SPEC_KEYS = {"output", "backend", "settings", "storage_options", "chunks", "requests"}
REQUEST_KEYS = {"name", "pipeline", "coordinates", "chunks", "group"}
#: s3fs/fsspec options that carry credentials: they come from the environment, never a spec.
CREDENTIAL_OPTIONS = {"key", "secret", "token", "password", "client_kwargs"}


class BatchSpecError(PodpacExecError, ValueError):
    """A batch spec is invalid; ``field`` names the offending part (``requests[1].coordinates``)."""


@dataclass(frozen=True)
class BatchRequest:
    """One (pipeline, coordinates) request: one array of the output store."""

    name: str
    node: Node
    coordinates: Coordinates
    chunks: dict[str, int] | None = None
    group: str = ""

    @property
    def array_path(self) -> str:
        return f"{self.group}/{self.name}" if self.group else self.name


@dataclass(frozen=True)
class BatchSpec:
    """A validated batch job."""

    output: str
    requests: tuple[BatchRequest, ...]
    backend: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    storage_options: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    @property
    def is_remote(self) -> bool:
        return "://" in self.output


def load_spec(path: str | Path) -> BatchSpec:
    """Read a spec file: TOML when it ends in ``.toml``, JSON otherwise."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BatchSpecError(f"batch spec not found: {path}", field="spec") from None
    except OSError as exc:
        raise BatchSpecError(f"cannot read batch spec {path}: {exc}", field="spec") from None
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        kind = "TOML" if path.suffix.lower() == ".toml" else "JSON"
        raise BatchSpecError(f"batch spec {path} is not valid {kind}: {exc}", field="spec") from None
    return parse_spec(data, base_dir=path.resolve().parent, source=str(path))


def parse_spec(data: Any, base_dir: str | Path | None = None, source: str = "") -> BatchSpec:
    """Validate a parsed spec; relative paths are resolved against ``base_dir`` (default: cwd)."""
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    if not isinstance(data, Mapping):
        raise BatchSpecError(f"a batch spec is an object, got {type(data).__name__}", field="spec")
    _no_unknown_keys(data, SPEC_KEYS, "")
    output = _output(data.get("output"), base)
    backend = data.get("backend")
    if backend is not None and (not isinstance(backend, str) or not backend):
        raise BatchSpecError(f"expected a backend name, got {backend!r}", field="backend")
    job_settings = _settings(data.get("settings", {}))
    storage_options = _storage_options(data.get("storage_options", {}))
    default_chunks = _chunks(data.get("chunks"), "chunks")
    requests = data.get("requests")
    if not isinstance(requests, list) or not requests:
        raise BatchSpecError("expected a non-empty list of requests", field="requests")
    parsed = [_request(item, i, base, default_chunks) for i, item in enumerate(requests)]
    _check_names(parsed)
    _check_groups(parsed)
    for dim in default_chunks or {}:
        if not any(dim in r.node.output_coordinates(r.coordinates).dims for r in parsed):
            raise BatchSpecError(f"dim {dim!r} is not an output dim of any request", field=f"chunks.{dim}")
    return BatchSpec(output, tuple(parsed), backend, job_settings, storage_options, source)


def _no_unknown_keys(data: Mapping[str, Any], known: set[str], prefix: str) -> None:
    unknown = sorted(set(data) - known)
    if unknown:
        raise BatchSpecError(
            f"unknown key {unknown[0]!r}; expected some of: {', '.join(sorted(known))}", field=f"{prefix}{unknown[0]}"
        )


def _output(value: Any, base: Path) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BatchSpecError("expected a zarr store path or URL (e.g. out.zarr, s3://bucket/out.zarr)", field="output")
    if "://" in value:
        if value.startswith("file://"):
            return str((base / value[len("file://") :]).resolve())
        return value.rstrip("/")
    return str((base / value).resolve())


def _settings(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise BatchSpecError(f"expected an object of settings, got {type(value).__name__}", field="settings")
    from podpac_exec.engine.executor import settings_for_call

    flat = normalize_keys(value)
    try:
        settings_for_call(None, flat)  # unknown keys and bad types fail here, naming the key
    except PodpacExecError as exc:
        raise BatchSpecError(exc.message, field=f"settings.{exc.field}" if exc.field else "settings") from None
    return flat


def _storage_options(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise BatchSpecError(f"expected an object, got {type(value).__name__}", field="storage_options")
    for key in value:
        if key in CREDENTIAL_OPTIONS or SECRET_PATTERN.search(str(key)):
            raise BatchSpecError(
                "credentials never go in a spec: the environment, a profile or an instance role supplies them",
                field=f"storage_options.{key}",
            )
    return dict(value)


def _chunks(value: Any, where: str) -> dict[str, int] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not value:
        raise BatchSpecError("expected an object of dim -> chunk length", field=where)
    out = {}
    for dim, size in value.items():
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise BatchSpecError(f"expected a positive integer, got {size!r}", field=f"{where}.{dim}")
        out[str(dim)] = size
    return out


def _request(item: Any, i: int, base: Path, default_chunks: dict[str, int] | None) -> BatchRequest:
    where = f"requests[{i}]"
    if not isinstance(item, Mapping):
        raise BatchSpecError(f"expected an object, got {type(item).__name__}", field=where)
    _no_unknown_keys(item, REQUEST_KEYS, f"{where}.")
    name = item.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise BatchSpecError(f"expected a variable name (letters, digits, _ . -), got {name!r}", field=f"{where}.name")
    group = item.get("group", "")
    if not isinstance(group, str) or (group and not all(NAME_PATTERN.match(p) for p in group.split("/"))):
        raise BatchSpecError(f"expected a zarr group path (a/b), got {group!r}", field=f"{where}.group")
    node = _load(item.get("pipeline"), base, f"{where}.pipeline", Node.from_json, Node.from_definition)
    coords = _load(item.get("coordinates"), base, f"{where}.coordinates", Coordinates.from_json, Coordinates.from_definition)
    out_dims = node.output_coordinates(coords).dims
    chunks = _chunks(item.get("chunks"), f"{where}.chunks")
    for dim in chunks or {}:
        if dim not in out_dims:
            raise BatchSpecError(f"dim {dim!r} is not an output dim {out_dims}", field=f"{where}.chunks.{dim}")
    if chunks is None:
        chunks = {d: n for d, n in (default_chunks or {}).items() if d in out_dims} or None
    return BatchRequest(name, node, coords, chunks, group.strip("/"))


def _load(value: Any, base: Path, where: str, from_json: Any, from_definition: Any) -> Any:
    """A pipeline or coordinates given inline (object) or as a path to a JSON file."""
    try:
        if isinstance(value, str):
            path = base / value
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise BatchSpecError(f"file not found: {path}", field=where) from None
            except (OSError, UnicodeDecodeError) as exc:
                raise BatchSpecError(f"cannot read {path}: {exc}", field=where) from None
            return from_json(text)
        if isinstance(value, (Mapping, list)):
            return from_definition(value)
    except BatchSpecError:
        raise
    except PodpacExecError as exc:
        inner = f" ({exc.field})" if exc.field else ""
        raise BatchSpecError(f"{exc.message}{inner}", field=where) from None
    raise BatchSpecError(f"expected an object or a path to a JSON file, got {value!r}", field=where)


def _check_names(requests: list[BatchRequest]) -> None:
    seen: dict[str, int] = {}
    for i, req in enumerate(requests):
        if req.name in seen:
            raise BatchSpecError(f"name {req.name!r} is already used by requests[{seen[req.name]}]", field=f"requests[{i}].name")
        seen[req.name] = i


def _check_groups(requests: list[BatchRequest]) -> None:
    """Arrays of one zarr group share coordinate arrays: one set of values per coordinate name,
    and no array named like a coordinate or dim."""
    import numpy as np

    first: dict[tuple[str, str], tuple[int, str, Any]] = {}  # (group, coordinate) -> (request, dim, values)
    for i, req in enumerate(requests):
        out = req.node.output_coordinates(req.coordinates)
        for name in out.dims:
            first.setdefault((req.group, name), (i, name, None))
        for name, value in out.xcoords.items():
            dim, values = value if isinstance(value, tuple) else (name, value)
            known = first.setdefault((req.group, name), (i, dim, values))
            j, other_dim, other_values = known
            if other_values is None:
                first[(req.group, name)] = (j, dim, values)
            elif other_dim != dim or not np.array_equal(other_values, values):
                raise BatchSpecError(
                    f"coordinate {name!r} differs from requests[{j}]'s, and arrays of one zarr group share "
                    "coordinates: use the same coordinates or give the requests different 'group's",
                    field=f"requests[{i}].coordinates",
                )
    for i, req in enumerate(requests):
        if (req.group, req.name) in first:
            j = first[(req.group, req.name)][0]
            raise BatchSpecError(
                f"name {req.name!r} is a coordinate or dim of requests[{j}] in the same group", field=f"requests[{i}].name"
            )
