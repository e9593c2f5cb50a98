"""Write an evaluation result to a file chosen by its extension."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from podpac_exec.errors import PodpacExecError

if TYPE_CHECKING:
    import xarray as xr

SUFFIXES = (".nc", ".zarr", ".npy")
FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


class OutputError(PodpacExecError, ValueError):
    """The output path cannot be written (unknown extension, existing store...)."""


def check_output_path(path: str | Path, *, field: str = "output", suffixes: tuple[str, ...] = SUFFIXES) -> Path:
    """``path`` if a result can be written there: a known extension, an existing parent directory
    (never created: a typo in it should not scatter folders), and not a directory itself (a
    ``.zarr`` store is one)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in suffixes:
        raise OutputError(f"unsupported {field} {str(path)!r}: use one of {', '.join(suffixes)}", field=field)
    parent = path.parent
    if not parent.exists():
        raise OutputError(f"{field}: directory {str(parent)!r} does not exist (create it first)", field=field)
    if not parent.is_dir():
        raise OutputError(f"{field}: {str(parent)!r} is not a directory", field=field)
    if suffix == ".zarr":
        if path.exists() and not path.is_dir():
            raise OutputError(f"{field}: {str(path)!r} is a file, not a zarr store", field=field)
    elif path.is_dir():
        raise OutputError(f"{field}: {str(path)!r} is a directory; name a file", field=field)
    return path


def write_result(result: "xr.DataArray", path: str | Path, name: str = "result") -> Path:
    """Write ``result`` as netCDF (``.nc``), a zarr store (``.zarr``) or a numpy array (``.npy``)."""
    import numpy as np

    path = check_output_path(path)
    suffix = path.suffix.lower()
    dataset = result.rename(name).to_dataset()
    if suffix == ".nc":
        dataset.to_netcdf(path, engine="h5netcdf")
    elif suffix == ".zarr":
        import warnings

        with warnings.catch_warnings():
            # zarr 3 warns on every consolidated write that consolidated metadata is not yet in
            # the v3 spec; xarray writes and reads it, and open_zarr wants it: nothing to act on
            warnings.filterwarnings("ignore", message="Consolidated metadata is currently not part")
            dataset.to_zarr(path, mode="w")
    else:
        np.save(path, result.values)
    return path


def check_output_paths(*, output: str | None = None, plot: str | None = None, timeline: str | None = None) -> None:
    """Check every path a command will write before it starts working (``None``: not asked for)."""

    if output:
        check_output_path(output)
    for field, path in (("plot", plot), ("timeline", timeline)):
        if path:
            check_output_path(path, field=field, suffixes=FIGURE_SUFFIXES)
