"""A PNG preview of a result: a map with a colour bar and axis labels."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from podpac_exec.errors import BackendUnavailableError

if TYPE_CHECKING:
    import xarray as xr

_LABELS = {"lat": "latitude (deg)", "lon": "longitude (deg)", "alt": "altitude (m)", "time": "time"}


def pyplot(option: str) -> Any:
    """matplotlib's pyplot on the Agg backend, or an error naming the extra to install."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise BackendUnavailableError(
            f"{option} needs matplotlib: pip install 'podpac-exec[plot]'", field=option.lstrip("-")
        ) from None
    return plt




def save_figure(fig: Any, path: str | Path) -> Path:
    """Write ``fig`` as a PNG (its directory must exist) and release it."""
    import matplotlib.pyplot as plt

    from podpac_exec.cli.outputs import FIGURE_SUFFIXES, check_output_path

    try:
        path = check_output_path(path, field="figure", suffixes=FIGURE_SUFFIXES)
    except Exception:
        plt.close(fig)
        raise
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_result(result: "xr.DataArray", path: str | Path, title: str | None = None) -> Path:
    """Draw ``result``: a lat/lon map for grids, coloured points for stacked dims, a line in 1-D.

    Extra dims are reduced to their first index; the title says which slice is shown.
    """
    plt = pyplot("--plot")
    data = result
    notes = []
    grid_dims = [d for d in ("lat", "lon") if d in data.dims]
    stacked = [d for d in data.dims if "_" in d]
    keep = set(grid_dims or stacked[:1] or list(data.dims)[:2])
    for dim in list(data.dims):
        if dim not in keep:
            notes.append(f"{dim}={data[dim].values[0]}")
            data = data.isel({dim: 0})

    fig, ax = plt.subplots(figsize=(8, 5), dpi=100)
    label = result.name or "value"
    if data.ndim == 2:
        ydim, xdim = ("lat", "lon") if set(data.dims) == {"lat", "lon"} else data.dims
        data = data.transpose(ydim, xdim)
        mesh = ax.pcolormesh(data[xdim].values, data[ydim].values, data.values, shading="nearest", cmap="viridis")
        fig.colorbar(mesh, ax=ax, label=label)
        ax.set_xlabel(_LABELS.get(xdim, xdim))
        ax.set_ylabel(_LABELS.get(ydim, ydim))
    elif data.ndim == 1 and "_" in data.dims[0]:
        dim = data.dims[0]
        ydim, xdim = dim.split("_")[:2] if dim.startswith("lat") else dim.split("_")[1::-1]
        points = ax.scatter(data[xdim].values, data[ydim].values, c=data.values, cmap="viridis")
        fig.colorbar(points, ax=ax, label=label)
        ax.set_xlabel(_LABELS.get(xdim, xdim))
        ax.set_ylabel(_LABELS.get(ydim, ydim))
    elif data.ndim == 1:
        dim = data.dims[0]
        ax.plot(data[dim].values, data.values)
        ax.set_xlabel(_LABELS.get(dim, dim))
        ax.set_ylabel(label)
    else:
        ax.text(0.5, 0.5, f"value = {float(data.values):.6g}", ha="center", va="center", fontsize=16)
        ax.set_axis_off()
    ax.set_title(title or ("; ".join(notes) if notes else "podpac-exec result"))
    return save_figure(fig, path)
