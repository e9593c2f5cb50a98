"""The output zarr store of a batch job: template, tile regions, completion markers, job record.

Layout (local path or any fsspec URL such as ``s3://bucket/out.zarr``)::

    zarr.json                         root group (attrs: podpac_exec_job = job hash), consolidated
    <name>/ or <group>/<name>/        one float64 array per request, fill NaN, with its coordinates
    .podpac_exec/job.json             the job record: hash, requests, tile grids (written last)
    .podpac_exec/done/<name>/<tile>   one marker per finished tile, written after its data

Each tile covers whole chunks, so concurrent writers never share a chunk; a marker object per tile
needs no locking. ``xr.open_zarr(url)`` (``group=`` for grouped requests) reads the result.
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from podpac_exec.errors import PodpacExecError

if TYPE_CHECKING:
    import numpy as np

    from podpac_exec.coordinates import Coordinates

FORMAT = "podpac-exec-batch/1"
META_DIR = ".podpac_exec"
JOB_ATTR = "podpac_exec_job"


class BatchStoreError(PodpacExecError, ValueError):
    """The output store cannot be used for this job (another job's store, not a batch store...)."""


@dataclass(frozen=True)
class StoreRef:
    """Where the store lives; small and picklable, so workers open it themselves."""

    url: str
    storage_options: dict[str, Any] = field(default_factory=dict)

    @property
    def is_remote(self) -> bool:
        return "://" in self.url

    def filesystem(self) -> tuple[Any, str]:
        """An fsspec filesystem and the store's root path on it."""
        import fsspec

        if not self.is_remote:
            return fsspec.filesystem("file", auto_mkdir=True), self.url
        fs, root = fsspec.core.url_to_fs(self.url, **self.storage_options)
        return fs, root.rstrip("/")

    def zarr_store(self) -> Any:
        """A zarr store object for ``zarr.open_*`` and ``xarray.to_zarr``."""
        from zarr.storage import FsspecStore, LocalStore

        if self.is_remote:
            return FsspecStore.from_url(self.url, storage_options=dict(self.storage_options))
        return LocalStore(self.url)


@dataclass(frozen=True)
class ArrayLayout:
    """One request's array: output coordinates, chunk lengths and attrs."""

    name: str
    group: str
    coordinates: "Coordinates"
    chunks: tuple[int, ...]
    attrs: Mapping[str, Any] = field(default_factory=dict)


def job_record(entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The job record: what the store holds (requests and tile grids) and its hash."""
    body = {"format": FORMAT, "requests": [dict(e) for e in entries]}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return {**body, "job_hash": digest}


class BatchStore:
    """Client-side access to a batch job's output store."""

    def __init__(self, ref: StoreRef) -> None:
        self.ref = ref
        self.fs, self.root = ref.filesystem()

    # -- job record ----------------------------------------------------------------------------

    def read_job(self) -> dict[str, Any] | None:
        path = f"{self.root}/{META_DIR}/job.json"
        try:
            return json.loads(self.fs.cat_file(path))
        except FileNotFoundError:
            return None
        except ValueError as exc:
            raise BatchStoreError(f"{self.ref.url}: unreadable job record {path}: {exc}", field="output") from None

    def prepare(self, job: Mapping[str, Any], layouts: Iterable[ArrayLayout], overwrite: bool = False) -> bool:
        """Make the store ready for ``job``; True when it was (re)created, False when resuming."""
        existing = self.read_job()
        if existing is not None and not overwrite:
            if existing.get("job_hash") == job["job_hash"]:
                return False
            raise BatchStoreError(
                f"{self.ref.url} holds another job ({describe_difference(existing, job)}): rerun the same "
                "spec to resume, pass --overwrite to replace it, or choose another output",
                field="output",
            )
        if existing is None and not overwrite and self._has_content() and not self._is_our_template():
            raise BatchStoreError(
                f"{self.ref.url} exists and is not a podpac-exec batch store: pass --overwrite to replace it, "
                "or choose another output",
                field="output",
            )
        self.clear()
        self._create(layouts, job["job_hash"])
        self.fs.pipe_file(f"{self.root}/{META_DIR}/job.json", json.dumps({**job, "created": time.time()}).encode())
        return True

    # -- markers -------------------------------------------------------------------------------

    def done_tiles(self, request: str) -> set[int]:
        """Ids of the tiles of ``request`` whose marker exists."""
        path = f"{self.root}/{META_DIR}/done/{request}"
        self.fs.invalidate_cache()
        try:
            names = self.fs.ls(path, detail=False)
        except FileNotFoundError:
            return set()
        return {int(n.rsplit("/", 1)[-1]) for n in names if n.rsplit("/", 1)[-1].isdigit()}

    # -- creation ------------------------------------------------------------------------------

    def clear(self) -> None:
        if self._has_content():
            self.fs.rm(self.root, recursive=True)
        self.fs.invalidate_cache()

    def _has_content(self) -> bool:
        try:
            return bool(self.fs.ls(self.root, detail=False))
        except (FileNotFoundError, NotADirectoryError):
            return self.fs.exists(self.root)

    def _is_our_template(self) -> bool:
        """A store whose creation was interrupted (our root attr, no job record yet)."""
        try:
            meta = json.loads(self.fs.cat_file(f"{self.root}/zarr.json"))
        except (FileNotFoundError, ValueError):
            return False
        return JOB_ATTR in (meta.get("attributes") or {})

    def _create(self, layouts: Iterable[ArrayLayout], job_hash: str) -> None:
        """Root group first (tagged), then each group's arrays and coordinates, then consolidate."""
        import zarr

        store = self.ref.zarr_store()
        with warnings.catch_warnings():
            # consolidated metadata is a zarr-python extension to format 3: fine for xarray readers
            warnings.filterwarnings("ignore", message="Consolidated metadata", category=UserWarning)
            zarr.open_group(store, mode="w", attributes={JOB_ATTR: job_hash})
            by_group: dict[str, list[ArrayLayout]] = {}
            for layout in layouts:
                by_group.setdefault(layout.group, []).append(layout)
            for group, items in by_group.items():
                template_dataset(items).to_zarr(
                    store, group=group or None, mode="a", compute=False, consolidated=False,
                    encoding={item.name: {"chunks": item.chunks, "fill_value": float("nan")} for item in items},
                )
            zarr.consolidate_metadata(store)


def template_dataset(layouts: Sequence[ArrayLayout]) -> Any:
    """A lazy all-NaN Dataset with the layouts' arrays; writing it with ``compute=False`` stores only
    metadata and coordinates."""
    import dask.array as da
    import numpy as np
    import xarray as xr

    variables = {}
    for item in layouts:
        coords = item.coordinates
        data = da.full(coords.shape, np.nan, dtype=np.float64, chunks=item.chunks or -1)
        variables[item.name] = xr.DataArray(data, coords=coords.xcoords, dims=coords.dims, attrs=dict(item.attrs))
    return xr.Dataset(variables)


def write_tile(ref: StoreRef, array_path: str, region: tuple[slice, ...], values: "np.ndarray") -> None:
    """Write one tile's values into its region of an existing array (whole chunks only)."""
    import zarr

    array = zarr.open_array(ref.zarr_store(), path=array_path, mode="r+")
    array[region] = values


def mark_done(ref: StoreRef, request: str, tile_id: int, info: Mapping[str, Any]) -> None:
    """Record that a tile's data is written: call only after :func:`write_tile` returned."""
    fs, root = ref.filesystem()
    fs.pipe_file(f"{root}/{META_DIR}/done/{request}/{tile_id}", json.dumps(dict(info)).encode())


def describe_difference(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """What differs between two job records, for the refusal message."""
    old_by = {r["name"]: r for r in old.get("requests", [])}
    new_by = {r["name"]: r for r in new.get("requests", [])}
    if set(old_by) != set(new_by):
        return f"its requests are {sorted(old_by)}, this spec's are {sorted(new_by)}"
    for name, entry in new_by.items():
        for key, value in entry.items():
            if old_by[name].get(key) != value:
                return f"request {name!r} differs in {key}"
    return "its format differs"
