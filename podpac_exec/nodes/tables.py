"""``CSV``: point data, one row per point, with lat/lon/time/alt columns (PODPAC's ``data.CSV``).

The coordinate columns present (in column order) form one stacked dim of points (a single
column stays a 1-D dim); ``data_key`` names the value column (a title or a 0-based number).
Requested at stacked points it answers by nearest point; on a grid, through ``Interpolate``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import traitlets as tl

from podpac_exec.errors import CoordinatesError, PipelineError
from podpac_exec.nodes.data import DataSource
from podpac_exec.nodes.opening import locate, open_binary, open_once, source_error

if TYPE_CHECKING:
    from podpac_exec.coordinates import Coordinates

_KEY = tl.Union([tl.Unicode(), tl.Int()])


class CSV(DataSource):
    imports: ClassVar[tuple[str, ...]] = ("pandas",)
    podpac_name: ClassVar[str] = "core.data.csv_source.CSV"
    podpac_aliases: ClassVar[tuple[str, ...]] = ("data.CSV",)

    source = tl.Unicode(default_value=None, allow_none=True).tag(attr=True)
    header = tl.Any(default_value=0).tag(attr=True)
    data_key = tl.Union([tl.Unicode(), tl.Int()], default_value=None, allow_none=True).tag(attr=True)
    lat_key = tl.Union([tl.Unicode(), tl.Int()], default_value="lat").tag(attr=True)
    lon_key = tl.Union([tl.Unicode(), tl.Int()], default_value="lon").tag(attr=True)
    time_key = tl.Union([tl.Unicode(), tl.Int()], default_value="time").tag(attr=True)
    alt_key = tl.Union([tl.Unicode(), tl.Int()], default_value="alt").tag(attr=True)
    crs = tl.Unicode(default_value=None, allow_none=True).tag(attr=True)
    cf_time = tl.Bool(False).tag(attr=True)
    cf_units = tl.Unicode(default_value=None, allow_none=True).tag(attr=True)
    cf_calendar = tl.Unicode(default_value=None, allow_none=True).tag(attr=True)
    coordinate_index_type = tl.Enum(["numpy"], default_value="numpy").tag(attr=True)
    skip_validation = tl.Bool(False).tag(attr=True)
    anon = tl.Bool(False).tag(attr=True)

    native_index_type: ClassVar[str] = "numpy"

    def validate(self) -> None:
        super().validate()
        locate("CSV", self.source)
        if self.header is not None and (isinstance(self.header, bool) or not isinstance(self.header, int)):
            raise PipelineError(f"CSV header must be a row number or null, got {self.header!r}", field="attrs.header")
        if self.cf_time and not self.cf_units:
            raise PipelineError("cf_time needs cf_units (e.g. 'days since 2000-01-01')", field="attrs.cf_units")

    def _base_definition(self) -> Any:
        d = super()._base_definition()
        if self.data_key is None:
            del d["attrs"]["data_key"]
        return d

    def _table(self) -> tuple[np.ndarray, "Coordinates"]:
        return open_once(self, self._load)

    def _load(self) -> tuple[np.ndarray, "Coordinates"]:
        import pandas as pd

        from podpac_exec.coordinates import ArrayCoordinates1d, Coordinates, StackedCoordinates

        location = locate("CSV", self.source)
        try:
            with open_binary(location, self.anon) as handle:
                frame = pd.read_csv(handle, header=self.header)
        except Exception as exc:  # noqa: BLE001 - pandas' and fsspec's errors alike
            raise source_error("CSV", self.source, exc, "cannot read") from None
        columns = [str(c) for c in frame.columns]
        frame.columns = columns

        def title(key: Any, field: str) -> str | None:
            if isinstance(key, int):
                if not 0 <= key < len(columns):
                    raise PipelineError(f"CSV {self.source!r} has {len(columns)} columns; no column {key}", field=field)
                return columns[key]
            return key if key in columns else None

        by_dim = {dim: title(getattr(self, f"{dim}_key"), f"attrs.{dim}_key") for dim in ("lat", "lon", "time", "alt")}
        dim_of = {col: dim for dim, col in by_dim.items() if col is not None}
        available = [c for c in columns if c not in dim_of]
        if self.data_key is None:
            if len(available) != 1:
                raise PipelineError(f"CSV {self.source!r} has {len(available)} data columns "
                                    f"({', '.join(available) or 'none'}); name one with data_key", field="attrs.data_key")
            key = available[0]
        else:
            key = title(self.data_key, "attrs.data_key")
            if key is None or key not in available:
                raise PipelineError(f"CSV {self.source!r} has no data column {self.data_key!r}; available: "
                                    f"{', '.join(available) or 'none'}", field="attrs.data_key")
        members = []
        for col in columns:
            if col not in dim_of:
                continue
            dim = dim_of[col]
            values = frame[col].to_numpy()
            if dim == "time" and self.cf_time:
                import xarray as xr

                values = np.asarray(xr.coding.times.decode_cf_datetime(values, self.cf_units, self.cf_calendar))
            elif dim == "time":
                values = pd.to_datetime(frame[col]).to_numpy()
            try:
                members.append(ArrayCoordinates1d(values, name=dim))
            except CoordinatesError as exc:
                raise PipelineError(f"CSV column {col!r}: {exc.message}", field=f"attrs.{dim}_key") from None
        if not members:
            raise PipelineError(f"CSV {self.source!r} has none of the coordinate columns lat/lon/time/alt",
                                field="attrs.lat_key")
        coords = Coordinates([StackedCoordinates(members) if len(members) > 1 else members[0]], crs=self.crs)
        data = pd.to_numeric(frame[key], errors="coerce").to_numpy(dtype=np.float64)
        return data, coords

    def native_coordinates(self) -> "Coordinates":
        return self._table()[1]

    def _read(self, index: tuple[np.ndarray | slice, ...]) -> np.ndarray:
        return self._table()[0][index]
