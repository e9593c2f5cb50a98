"""Write an evaluation result to a file chosen by its extension."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from podpac_exec.errors import PodpacExecError

if TYPE_CHECKING:
    import xarray as xr

SUFFIXES = (".nc", ".zarr", ".npy")


class OutputError(PodpacExecError, ValueError):
    """The output path cannot be written (unknown extension, existing store...)."""


def write_result(result: "xr.DataArray", path: str | Path, name: str = "result") -> Path:
    """Write ``result`` as netCDF (``.nc``), a zarr store (``.zarr``) or a numpy array (``.npy``)."""
    import numpy as np

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise OutputError(f"unsupported output {str(path)!r}: use one of {', '.join(SUFFIXES)}", field="output")
    path.parent.mkdir(parents=True, exist_ok=True)
    dataset = result.rename(name).to_dataset()
    if suffix == ".nc":
        dataset.to_netcdf(path, engine="h5netcdf")
    elif suffix == ".zarr":
        dataset.to_zarr(path, mode="w")
    else:
        np.save(path, result.values)
    return path
