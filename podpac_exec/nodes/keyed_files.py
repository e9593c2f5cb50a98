"""``Zarr`` and ``H5PY``: a data array and its coordinate arrays, found by key in a store.

PODPAC's ``FileKeysMixin`` rules: ``data_key`` defaults to the only key that is not a
coordinate key; ``dims`` come from the data array's ``_ARRAY_DIMENSIONS`` attribute (zarr v3:
its dimension names), else from the coordinate keys present, in the store's key order; each dim's
coordinates are the array named by ``lat_key``/``lon_key``/``time_key``/``alt_key``. A tile
reads only the chunks (zarr) or hyperslab (HDF5) of the window it selects.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import traitlets as tl

from podpac_exec.errors import CoordinatesError, PipelineError
from podpac_exec.nodes.data import DataSource
from podpac_exec.nodes.opening import bounding_window, locate, open_binary, open_once, open_zarr_group, source_error

if TYPE_CHECKING:
    from podpac_exec.coordinates import Coordinates

_DIMS = ("lat", "lon", "time", "alt")


class KeyedFileSource(DataSource):
    """Shared attrs and coordinate logic of the keyed stores."""

    source = tl.Unicode(default_value=None, allow_none=True).tag(attr=True)
    data_key = tl.Unicode(default_value=None, allow_none=True).tag(attr=True)
    lat_key = tl.Unicode("lat").tag(attr=True)
    lon_key = tl.Unicode("lon").tag(attr=True)
    time_key = tl.Unicode("time").tag(attr=True)
    alt_key = tl.Unicode("alt").tag(attr=True)
    crs = tl.Unicode(default_value=None, allow_none=True).tag(attr=True)
    dims = tl.List(tl.Unicode(), default_value=None, allow_none=True).tag(attr=True)
    cf_time = tl.Bool(False).tag(attr=True)
    cf_units = tl.Unicode(default_value=None, allow_none=True).tag(attr=True)
    cf_calendar = tl.Unicode(default_value=None, allow_none=True).tag(attr=True)
    file_mode = tl.Unicode("r").tag(attr=True)
    skip_validation = tl.Bool(False).tag(attr=True)
    anon = tl.Bool(False).tag(attr=True)

    native_index_type: ClassVar[str] = "slice"
    kind: ClassVar[str] = ""

    def validate(self) -> None:
        super().validate()
        locate(self.kind, self.source)
        if self.file_mode != "r":
            raise PipelineError(f"{self.kind} file_mode must be 'r' (sources are read-only), got {self.file_mode!r}",
                                field="attrs.file_mode")
        for i, dim in enumerate(self.dims or []):
            if dim not in _DIMS:
                raise PipelineError(f"{self.kind} dims[{i}] is {dim!r}; expected one of {', '.join(_DIMS)}",
                                    field=f"attrs.dims[{i}]")
        if self.cf_time and not self.cf_units:
            raise PipelineError("cf_time needs cf_units (e.g. 'days since 2000-01-01')", field="attrs.cf_units")

    def _base_definition(self) -> Any:
        d = super()._base_definition()
        for optional in ("data_key", "dims"):
            if d["attrs"].get(optional) is None:
                d["attrs"].pop(optional, None)
        return d

    # -- subclasses ------------------------------------------------------------------------------

    def _open_store(self, location: str) -> Any:
        """The root group (zarr) or file (h5py), opened read-only."""
        raise NotImplementedError

    def _array_keys(self, store: Any) -> list[str]:
        raise NotImplementedError

    def _normal(self, key: str) -> str:
        """A key as :meth:`_array_keys` spells it."""
        return key

    def _keys_by_dim(self) -> dict[str, str]:
        keys = {"lat": self.lat_key, "lon": self.lon_key, "time": self.time_key, "alt": self.alt_key}
        return {dim: self._normal(key) for dim, key in keys.items()}

    def _dimension_names(self, array: Any) -> list[str] | None:
        names = array.attrs.get("_ARRAY_DIMENSIONS") if hasattr(array, "attrs") else None
        return [str(n) for n in names] if names is not None else None

    # -- shared ------------------------------------------------------------------------------------

    def _opened_store(self) -> "_Opened":
        return open_once(self, self._open)

    def _open(self) -> "_Opened":
        location = locate(self.kind, self.source)
        try:
            store = self._open_store(location)
            keys = self._array_keys(store)
        except PipelineError:
            raise
        except Exception as exc:  # noqa: BLE001 - zarr's, h5py's and fsspec's errors alike
            raise source_error(self.kind, self.source, exc, "cannot open") from None
        lookup = {key: dim for dim, key in self._keys_by_dim().items()}
        available = [k for k in keys if k not in lookup]
        key = None if self.data_key is None else self._normal(self.data_key)
        if key is None:
            if len(available) != 1:
                raise PipelineError(f"{self.kind} {self.source!r} has {len(available)} data keys "
                                    f"({', '.join(available) or 'none'}); name one with data_key", field="attrs.data_key")
            key = available[0]
        elif key not in available:
            raise PipelineError(f"{self.kind} {self.source!r} has no data key {key!r}; available: "
                                f"{', '.join(available) or 'none'}", field="attrs.data_key")
        array = store[key]
        dims = list(self.dims) if self.dims else self._dimension_names(array)
        if not dims:
            dims = [lookup[k] for k in keys if k in lookup]
        dims = [lookup.get(d, d) for d in dims]  # _ARRAY_DIMENSIONS may name the keys themselves
        if len(dims) != array.ndim:
            raise PipelineError(f"{self.kind} {key!r} has {array.ndim} dims but dims are {dims}", field="attrs.dims")
        return _Opened(array, self._coordinates(store, dims, keys), key)

    def _coordinates(self, store: Any, dims: list[str], keys: list[str]) -> "Coordinates":
        from podpac_exec.coordinates import ArrayCoordinates1d, Coordinates

        names = self._keys_by_dim()
        members = []
        for dim in dims:
            if dim not in names:
                raise PipelineError(f"{self.kind} dim {dim!r} is none of {', '.join(_DIMS)}", field="attrs.dims")
            key = names[dim]
            if key not in keys:
                raise PipelineError(f"{self.kind} {self.source!r} has no {dim} coordinates {key!r}",
                                    field=f"attrs.{dim}_key")
            values = np.asarray(store[key][...])
            if dim == "time" and self.cf_time:
                import xarray as xr

                values = np.asarray(xr.coding.times.decode_cf_datetime(values, self.cf_units, self.cf_calendar))
            try:
                members.append(ArrayCoordinates1d(values, name=dim).simplify())
            except CoordinatesError as exc:
                raise PipelineError(f"{self.kind} {key!r} coordinates: {exc.message}", field=f"attrs.{dim}_key") from None
        return Coordinates(members, crs=self.crs)

    def native_coordinates(self) -> "Coordinates":
        return self._opened_store().coordinates

    def _read(self, index: tuple[np.ndarray | slice, ...]) -> np.ndarray:
        opened = self._opened_store()
        window, local = bounding_window(index)
        try:
            with opened.lock:
                block = np.asarray(opened.array[window])
        except Exception as exc:  # noqa: BLE001
            raise source_error(self.kind, self.source, exc) from None
        return block[tuple(local)]  # index arrays broadcast as numpy's advanced indexing


class _Opened:
    def __init__(self, array: Any, coordinates: "Coordinates", key: str) -> None:
        self.array, self.coordinates, self.key = array, coordinates, key
        self.lock = threading.Lock()


class Zarr(KeyedFileSource):
    """PODPAC's ``data.Zarr``: a zarr store (v2 or v3), local or ``s3://``."""

    imports: ClassVar[tuple[str, ...]] = ("zarr",)

    podpac_name: ClassVar[str] = "core.data.zarr_source.Zarr"
    podpac_aliases: ClassVar[tuple[str, ...]] = ("data.Zarr",)
    kind: ClassVar[str] = "Zarr"

    def _open_store(self, location: str) -> Any:
        return open_zarr_group(location, self.anon)

    def _array_keys(self, store: Any) -> list[str]:
        keys = []
        for name, member in store.members(max_depth=None):
            if hasattr(member, "shape"):
                keys.append(name)
        return sorted(keys)

    def _dimension_names(self, array: Any) -> list[str] | None:
        names = getattr(getattr(array, "metadata", None), "dimension_names", None)
        if names:
            return [str(n) for n in names]
        return super()._dimension_names(array)


class H5PY(KeyedFileSource):
    """PODPAC's ``data.H5PY``: an HDF5 file, local or ``s3://`` (read by byte ranges)."""

    imports: ClassVar[tuple[str, ...]] = ('h5py',)

    podpac_name: ClassVar[str] = "core.data.h5py_source.H5PY"
    podpac_aliases: ClassVar[tuple[str, ...]] = ("data.H5PY",)
    kind: ClassVar[str] = "H5PY"

    def _normal(self, key: str) -> str:
        return key.lstrip("/")  # PODPAC's keys are h5py names ("/data"); both spellings work

    def _open_store(self, location: str) -> Any:
        import h5py

        return h5py.File(open_binary(location, self.anon), "r")

    def _array_keys(self, store: Any) -> list[str]:
        import h5py

        keys: list[str] = []
        store.visititems(lambda name, obj: keys.append(name) if isinstance(obj, h5py.Dataset) else None)
        return sorted(keys)

    def _dimension_names(self, array: Any) -> list[str] | None:
        names = array.attrs.get("_ARRAY_DIMENSIONS")
        if names is None:
            return None
        return [n.decode() if isinstance(n, bytes) else str(n) for n in np.atleast_1d(names)]
