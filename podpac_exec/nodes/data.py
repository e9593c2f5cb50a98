"""Data sources: ``Array`` (inline data) and ``Dataset`` (netCDF or zarr, local or on S3).

A data source has native coordinates and reads windows of its data by index; evaluated on its
own it answers on the request's coordinates by nearest-neighbour interpolation (PODPAC 4 would
return its own grid), and ``Interpolate`` applies other methods through the same interface
(:class:`~podpac_exec.nodes.interpolation.NativeSource`).
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

import numpy as np
import traitlets as tl

from podpac_exec.errors import CoordinatesError, LimitExceededError, PipelineError
from podpac_exec.nodes.base import Node
from podpac_exec.nodes.interpolation import NEAREST_INTERPOLATION, interpolate_source
from podpac_exec.nodes.traits import ArrayTrait, CoordinatesTrait
from podpac_exec.nodes.opening import bounding_window, open_once, s3_options
from podpac_exec.nodes.sources import check_source_url, redact_credentials

if TYPE_CHECKING:
    import xarray as xr

    from podpac_exec.coordinates import Coordinates

_OPEN_LOCK = threading.Lock()
_VALID_DIMS = ("lat", "lon", "alt", "time")


class DataSource(Node):
    """Base of the data sources: PODPAC's ``nan_vals``/``nan_val`` and ``boundary`` attrs.

    Subclasses implement :meth:`native_coordinates` and :meth:`_read`.
    """

    nan_vals = tl.List().tag(attr=True)
    nan_val = tl.Any(default_value=np.nan).tag(attr=True)
    boundary = tl.Dict().tag(attr=True)

    native_index_type: ClassVar[str] = "numpy"
    #: A file opens lazily, in whichever of these runs first (Interpolate reads sources directly).
    blamed_methods: ClassVar[tuple[str, ...]] = (*Node.blamed_methods, "native_coordinates", "read_native",
                                                 "source_for", "_read")  # fmt: skip

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_opened", None)  # open files are not shipped; they reopen lazily (open_once)
        state.pop("_open_lock", None)
        return state

    def validate(self) -> None:
        for i, value in enumerate(self.nan_vals):
            _require_number(value, f"attrs.nan_vals[{i}]")
        _require_number(self.nan_val, "attrs.nan_val")
        _validate_boundary(self.boundary)

    def native_coordinates(self) -> "Coordinates":
        """The source's own coordinates."""
        raise NotImplementedError

    def _read(self, index: tuple[np.ndarray | slice, ...]) -> np.ndarray:
        """Raw values ``data[index]``: one integer array (numpy advanced indexing) or step-1 slice
        per native dim."""
        raise NotImplementedError

    def read_native(self, index: tuple[np.ndarray | slice, ...]) -> np.ndarray:
        """float64 values ``data[index]``, values listed in ``nan_vals`` replaced by ``nan_val``."""
        values = np.array(self._read(index), dtype=np.float64)  # a fresh array we may modify
        if self.nan_vals:
            values[np.isin(values, self.nan_vals)] = self.nan_val
        return values

    def source_for(self, request: "Coordinates") -> "Any":
        """What to interpolate ``request`` from: this source, or a coarser form of it that a
        subclass picks for the request (a GeoTIFF's overview)."""
        return self

    def _eval(self, coordinates: "Coordinates") -> np.ndarray:
        return interpolate_source(self.source_for(coordinates), coordinates, NEAREST_INTERPOLATION)


def _require_number(value: Any, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise PipelineError(f"expected a number, got {value!r}", field=field)


def _validate_boundary(boundary: Mapping[str, Any]) -> None:
    """PODPAC's rule: a non-negative centred boundary size per valid dim."""
    from podpac_exec.coordinates.values import _to_delta

    for dim, value in boundary.items():
        field = f"attrs.boundary.{dim}"
        if dim not in _VALID_DIMS:
            raise PipelineError(f"invalid dimension {dim!r} in boundary; valid: {', '.join(_VALID_DIMS)}", field=field)
        if isinstance(value, (list, tuple)):
            raise PipelineError("only a centred (scalar) boundary is supported, as in PODPAC", field=field)
        try:
            delta = _to_delta(value, dim == "time", field)
        except CoordinatesError as exc:
            raise PipelineError(f"invalid boundary: {exc.message}", field=field) from None
        if (delta.astype(np.int64) if isinstance(delta, np.timedelta64) else delta) < 0:
            raise PipelineError(f"boundary must not be negative, got {value!r}", field=field)


class Array(DataSource):
    """Inline data on given coordinates (PODPAC's ``Array``): ``source`` nested lists, NaN allowed."""

    podpac_name: ClassVar[str] = "core.data.array_source.Array"
    podpac_aliases: ClassVar[tuple[str, ...]] = ("data.Array",)

    source = ArrayTrait().tag(attr=True)
    coordinates = CoordinatesTrait().tag(attr=True)
    coordinate_index_type = tl.Enum(["slice", "numpy", "xarray"], default_value="numpy").tag(attr=True)

    def validate(self) -> None:
        super().validate()
        if self.source is None:
            raise PipelineError("Array needs 'source' data", field="attrs.source")
        if self.coordinates is None:
            raise PipelineError("Array needs 'coordinates'", field="attrs.coordinates")
        _check_array_cells(self.source.size)
        if self.source.shape != self.coordinates.shape:
            raise PipelineError(
                f"Array source has shape {self.source.shape} but its coordinates {self.coordinates.dims} "
                f"have shape {self.coordinates.shape}",
                field="attrs.source",
            )

    @property
    def native_index_type(self) -> str:  # type: ignore[override]
        return self.coordinate_index_type

    def native_coordinates(self) -> "Coordinates":
        return self.coordinates

    def _read(self, index: tuple[np.ndarray | slice, ...]) -> np.ndarray:
        return self.source[index]


def _check_array_cells(cells: int) -> None:
    from podpac_exec.settings import settings

    limit = settings.get("limits.max_array_cells")
    if cells > limit:
        raise LimitExceededError(
            f"Array source has {cells} cells, above limits.max_array_cells={limit}", field="attrs.source"
        )


class Dataset(DataSource):
    """A variable of a netCDF file or zarr store (PODPAC's ``Dataset``), read lazily by window.

    ``source`` is a local path, ``file://`` URL or ``s3://`` URL that the ``[sources]`` policy
    allows (:mod:`podpac_exec.nodes.sources`). S3 access uses the usual AWS credential chain; the
    endpoint comes from the ``AWS_ENDPOINT_URL_S3``/``AWS_ENDPOINT_URL`` environment variables;
    ``anon`` asks for unsigned requests.
    """

    podpac_name: ClassVar[str] = "core.data.dataset_source.Dataset"
    podpac_aliases: ClassVar[tuple[str, ...]] = ("data.Dataset",)

    source = tl.Unicode(default_value=None, allow_none=True).tag(attr=True)
    data_key = tl.Union([tl.Unicode(), tl.List(tl.Unicode())], default_value=None, allow_none=True).tag(attr=True)
    lat_key = tl.Unicode("lat").tag(attr=True)
    lon_key = tl.Unicode("lon").tag(attr=True)
    time_key = tl.Unicode("time").tag(attr=True)
    alt_key = tl.Unicode("alt").tag(attr=True)
    crs = tl.Unicode(default_value=None, allow_none=True).tag(attr=True)
    cf_time = tl.Bool(False).tag(attr=True)
    cf_units = tl.Unicode(default_value=None, allow_none=True).tag(attr=True)
    cf_calendar = tl.Unicode(default_value=None, allow_none=True).tag(attr=True)
    skip_validation = tl.Bool(False).tag(attr=True)
    selection = tl.Dict(default_value=None, allow_none=True).tag(attr=True)
    infer_podpac_coords = tl.Bool(False).tag(attr=True)
    anon = tl.Bool(False).tag(attr=True)

    native_index_type: ClassVar[str] = "xarray"

    def validate(self) -> None:
        super().validate()
        if not self.source:
            raise PipelineError("Dataset needs a 'source' path or URL", field="attrs.source")
        check_source_url(self.source)  # fail early; opening checks again (see _open_dataset)
        if isinstance(self.data_key, list):
            raise PipelineError(
                "a list of data keys makes a multi-output node, which is not supported; give one variable name",
                field="attrs.data_key",
            )
        for dim, index in (self.selection or {}).items():
            if isinstance(index, bool) or not isinstance(index, int):
                raise PipelineError(
                    f"selection must give one integer index per extra dim, got {dim!r}: {index!r}",
                    field=f"attrs.selection.{dim}",
                )
        if self.cf_time and not self.cf_units:
            raise PipelineError("cf_time needs cf_units (e.g. 'days since 2000-01-01')", field="attrs.cf_units")

    def _base_definition(self) -> Any:
        d = super()._base_definition()
        if self.data_key is None:
            del d["attrs"]["data_key"]  # PODPAC then picks the file's only variable, as we do
        return d

    # -- file access ---------------------------------------------------------------------------

    def _variable(self) -> tuple["xr.DataArray", "Coordinates"]:
        """The selected variable (lazy) laid out on the native dims, and its coordinates."""
        return open_once(self, self._open_variable_serialised)

    def _open_variable_serialised(self) -> tuple["xr.DataArray", "Coordinates"]:
        with _OPEN_LOCK:  # the netCDF and HDF5 libraries are not thread-safe while opening
            return self._open_variable()

    def _open_variable(self) -> tuple["xr.DataArray", "Coordinates"]:
        try:
            dataset = _open_dataset(self.source, anon=self.anon)
        except PipelineError as exc:  # one line naming the node; xarray adds advice and URLs
            reason = exc.message.splitlines()[0]
            if "did not find a match in any of xarray's currently installed IO backends" in reason:
                reason = f"cannot open {self.source!r}: not a netCDF or zarr dataset"
            exc.message = f"{type(self).__name__} {reason}" if reason.startswith("cannot") else reason  # blame names the node
            exc.args = (exc.message,)  # same class (a refused source stays SourceNotAllowedError)
            raise exc from None
        var = dataset[self._data_key(dataset)]
        selection = self.selection or {}
        unknown = [d for d in selection if d not in var.dims]
        if unknown:
            raise PipelineError(
                f"selection names dim {unknown[0]!r}, which variable {var.name!r} does not have (dims: {var.dims})",
                field=f"attrs.selection.{unknown[0]}",
            )
        if selection:
            var = var.isel(selection)
        lookup = {self.lat_key: "lat", self.lon_key: "lon", self.alt_key: "alt", self.time_key: "time"}
        if self.infer_podpac_coords:
            lookup = {d: d for d in _VALID_DIMS}
        names = []
        for dim in var.dims:
            if dim not in lookup:
                raise PipelineError(
                    f"variable {var.name!r} has dim {dim!r}, which is none of lat_key/lon_key/time_key/alt_key "
                    f"({self.lat_key!r}, {self.lon_key!r}, {self.time_key!r}, {self.alt_key!r}); map it with one "
                    "of those keys or pick one index with 'selection'",
                    field="attrs.data_key",
                )
            names.append(lookup[dim])
        return var, self._coordinates(dataset, var, names)

    def _data_key(self, dataset: "xr.Dataset") -> str:
        dim_keys = {self.lat_key, self.lon_key, self.alt_key, self.time_key}
        available = [str(k) for k in dataset.data_vars if k not in dim_keys]
        if self.data_key is None:
            if len(available) != 1:
                raise PipelineError(
                    f"{self.source!r} has {len(available)} variables ({', '.join(available) or 'none'}); "
                    "name one with data_key",
                    field="attrs.data_key",
                )
            return available[0]
        if self.data_key not in dataset.data_vars:
            raise PipelineError(
                f"{self.source!r} has no variable {self.data_key!r}; available: {', '.join(available) or 'none'}",
                field="attrs.data_key",
            )
        return self.data_key

    def _coordinates(self, dataset: "xr.Dataset", var: "xr.DataArray", names: list[str]) -> "Coordinates":
        from podpac_exec.coordinates import ArrayCoordinates1d, Coordinates

        members = []
        for dim, name in zip(var.dims, names):
            values = np.asarray(dataset[dim].values)
            if name == "time" and self.cf_time:
                import xarray as xr

                values = np.asarray(xr.coding.times.decode_cf_datetime(values, self.cf_units, self.cf_calendar))
            if values.dtype.kind == "O":
                raise PipelineError(
                    f"the {dim!r} coordinates of {self.source!r} are not numbers or numpy datetimes "
                    "(non-standard calendar?)",
                    field="attrs.source",
                )
            try:
                members.append(ArrayCoordinates1d(values, name=name))
            except CoordinatesError as exc:
                message = f"invalid {dim!r} coordinates in {self.source!r}: {exc.message}"
                raise PipelineError(message, field="attrs.source") from None
        return Coordinates(members, crs=self.crs)

    def native_coordinates(self) -> "Coordinates":
        return self._variable()[1]

    def _read(self, index: tuple[np.ndarray | slice, ...]) -> np.ndarray:
        var = self._variable()[0]
        slices, local = bounding_window(index)
        window = dict(zip(var.dims, slices))
        try:
            block = np.asarray(var.isel(window).values)
        except Exception as exc:  # noqa: BLE001 - any backend read failure
            message = redact_credentials(f"reading {self.source!r} failed: {type(exc).__name__}: {exc}")
            raise PipelineError(message, field="attrs.source") from None
        return block[tuple(local)]


def _is_zarr(path: str) -> bool:
    return path.rstrip("/").endswith(".zarr") or os.path.isdir(path)


def _open_remote_netcdf(url: str, options: dict[str, Any]) -> "xr.Dataset":
    """A remote netCDF file: h5netcdf reads it by byte ranges when h5py is installed; otherwise
    (or for netCDF3 files) the object is read into memory and opened with netCDF4."""
    import fsspec
    import xarray as xr

    handle = fsspec.open(url, "rb", **options).open()
    try:
        return xr.open_dataset(handle, engine="h5netcdf")
    except (ImportError, OSError, ValueError):
        import netCDF4

        handle.seek(0)
        store = xr.backends.NetCDF4DataStore(netCDF4.Dataset("in-memory.nc", mode="r", memory=handle.read()))
        return xr.open_dataset(store)


def _open_dataset(source: str, anon: bool = False) -> "xr.Dataset":
    """Open ``source`` lazily (netCDF through h5netcdf/netCDF4, zarr without dask), once the
    source policy allows it: the only place a Dataset touches a file or the network."""
    import xarray as xr

    field = "attrs.source"
    location = check_source_url(source)  # a local path comes back resolved: open what was checked
    try:
        if location.startswith("s3://"):
            options = s3_options(anon)
            if location.rstrip("/").endswith(".zarr"):
                return xr.open_zarr(location, chunks=None, storage_options=options)
            return _open_remote_netcdf(location, options)
        if "://" in location:
            scheme = location.split("://", 1)[0]
            message = f"unsupported URL scheme {scheme!r} in {source!r}; use a path, file:// or s3://"
            raise PipelineError(message, field=field)
        path = location
        if not os.path.exists(path):
            raise PipelineError(f"Dataset source {source!r} does not exist", field=field)
        if _is_zarr(path):
            return xr.open_zarr(path, chunks=None)
        return xr.open_dataset(path)
    except PipelineError:
        raise
    except FileNotFoundError:
        raise PipelineError(f"Dataset source {source!r} does not exist", field=field) from None
    except Exception as exc:  # noqa: BLE001 - every backend has its own errors
        message = redact_credentials(f"cannot open {source!r}: {type(exc).__name__}: {exc}")
        raise PipelineError(message, field=field) from None
