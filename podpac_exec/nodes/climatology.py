"""PODPAC's ``alglib.climatology.BetaFitDayOfYear``: a beta distribution fitted per cell and day
of year over a moving window of days, one output (``a``, ``b`` or percentile ``d<i>``) chosen.

As PODPAC 4.0.5 (``DayOfYearWindow.algorithm`` and ``BetaFitDayOfYear.function``): the source is
evaluated on the request and scaled to [0, 1] with ``scale_float`` ``[min, max]`` (values outside
become NaN); for each day of year among the request's times, the request times whose day of
year lies within ``window // 2`` days of it (365-day years, wrapping at the ends) are fitted per
cell with ``scipy.stats.beta.fit(data, floc=0, fscale=1)`` (exact 0 and 1 nudged by 1e-6; a
failed fit leaves NaN); ``d<i>`` is ``beta.ppf(percentiles[i], a, b)``, mapped back to the
source's scale when ``rescale``. The output's ``time`` holds the days of year, so ``time`` is
never split across tiles; each cell is fitted on its own, so any other split is exact.
Multi-output results (no ``output``) and ``scale_max``/``scale_min`` nodes are not supported.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import traitlets as tl

from podpac_exec.errors import CoordinatesError, PipelineError
from podpac_exec.nodes.base import NodeRequirements
from podpac_exec.nodes.traits import NodeTrait
from podpac_exec.nodes.utility import _Algorithm

if TYPE_CHECKING:
    from podpac_exec.coordinates import Coordinates

_DAYS_PER_YEAR = 365  # PODPAC disregards leap years in the window arithmetic


class BetaFitDayOfYear(_Algorithm):
    """Beta-distribution parameters (or percentiles) per day of year; see the module docstring."""

    imports = ("scipy", "pandas")

    podpac_name = "alglib.climatology.BetaFitDayOfYear"
    podpac_aliases = ()
    selects_output = True
    inherits_source_style = True

    source = NodeTrait(allow_none=True).tag(attr=True)
    window = tl.Int(0).tag(attr=True)
    scale_max = NodeTrait(allow_none=True).tag(attr=True)
    scale_min = NodeTrait(allow_none=True).tag(attr=True)
    scale_float = tl.List(default_value=None, allow_none=True).tag(attr=True)
    rescale = tl.Bool(True).tag(attr=True)
    percentiles = tl.List(tl.Float()).tag(attr=True)

    @property
    def output_names(self) -> list[str]:
        """PODPAC's outputs: ``a``, ``b`` and ``d<i>`` per percentile (not an attr it writes)."""
        return ["a", "b"] + [f"d{i}" for i in range(len(self.percentiles))]

    def validate(self) -> None:
        if self.source is None:
            raise PipelineError("BetaFitDayOfYear needs a source node", field="inputs.source")
        if self.outputs is not None:
            raise PipelineError(
                "BetaFitDayOfYear.outputs is fixed (a, b, d0 ...); do not set it", field="attrs.outputs"
            )
        if self.output is None or self.output not in self.output_names:
            raise PipelineError(
                "BetaFitDayOfYear.output: choose one of " + ", ".join(self.output_names)
                + " (a result with an 'output' dim is not supported)",
                field="attrs.output",
            )
        for name in ("scale_max", "scale_min"):
            if getattr(self, name) is not None:
                raise PipelineError(
                    f"BetaFitDayOfYear.{name}: scaling by a node is not supported; give scale_float [min, max]",
                    field=f"inputs.{name}",
                )
        if self.scale_float is not None and (
            len(self.scale_float) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in self.scale_float)
        ):
            raise PipelineError(
                f"BetaFitDayOfYear.scale_float must be [min, max], got {self.scale_float!r}", field="attrs.scale_float"
            )
        if self.rescale and not self.scale_float:
            raise PipelineError(
                "BetaFitDayOfYear.rescale needs scale_float [min, max] (PODPAC raises without it); "
                "set rescale false or give scale_float",
                field="attrs.rescale",
            )
        if any(not 0.0 <= p <= 1.0 for p in self.percentiles):
            raise PipelineError(
                f"BetaFitDayOfYear.percentiles are probabilities within 0..1, got {self.percentiles}",
                field="attrs.percentiles",
            )

    def requirements(self) -> NodeRequirements:
        return NodeRequirements(reduce_dims=frozenset({"time"}))

    def _days(self, coordinates: "Coordinates") -> np.ndarray:
        import pandas as pd

        if "time" not in coordinates.dims:
            raise CoordinatesError(
                f"BetaFitDayOfYear needs a 'time' dim in the request, got {coordinates.dims}", field="coordinates"
            )
        times = coordinates["time"].coordinates
        if times.dtype.kind != "M":
            raise CoordinatesError("BetaFitDayOfYear needs datetime time coordinates", field="coordinates")
        return np.asarray(pd.DatetimeIndex(times).day_of_year, dtype=np.int64)

    def output_coordinates(self, coordinates: "Coordinates") -> "Coordinates":
        from podpac_exec.coordinates import ArrayCoordinates1d, Coordinates

        labels = np.unique(self._days(coordinates))
        members = [ArrayCoordinates1d(labels, name="time") if d == "time" else m for d, m in coordinates.items()]
        return Coordinates(members, crs=coordinates.crs)

    def _eval(self, coordinates: "Coordinates") -> np.ndarray:
        source_doy = self._days(coordinates)
        labels = np.unique(source_doy)
        values, dims = self.source.eval_values(coordinates)
        if "time" not in dims:
            raise PipelineError("BetaFitDayOfYear: the source output has no time dim", field="inputs.source")
        rows = np.moveaxis(np.array(values, dtype=np.float64), dims.index("time"), -1)
        lo, hi = self.scale_float if self.scale_float else (None, None)
        if lo is not None and hi is not None:
            rows = (rows - lo) / (hi - lo)
            with np.errstate(invalid="ignore"):
                rows[(rows < 0) | (rows > 1)] = np.nan
        cells = rows.reshape(-1, rows.shape[-1])
        out = np.full((cells.shape[0], labels.size), np.nan)
        if not np.all(np.isnan(cells)):
            index = self.output_names.index(self.output)
            win = self.window // 2
            for i, doy in enumerate(labels):
                in_window = _window(source_doy, int(doy), win)
                for cell in range(cells.shape[0]):
                    data = cells[cell, in_window]
                    data = data[~np.isnan(data)]
                    if data.size:
                        out[cell, i] = self._fit(data, index)
            if self.rescale and index >= 2:
                out = out * (hi - lo) + lo
        out = out.reshape(rows.shape[:-1] + (labels.size,))
        order = [d for d in dims if d != "time"] + ["time"]
        return out.transpose([order.index(d) for d in coordinates.dims if d in order])

    def _fit(self, data: np.ndarray, index: int) -> float:
        from scipy.stats import beta
        from scipy.stats._continuous_distns import FitSolverError

        data = data.copy()
        data[data == 1] -= 1e-6
        data[data == 0] += 1e-6
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")  # the solver's overflow warnings on hard fits
                a, b, _, _ = beta.fit(data, floc=0, fscale=1)
        except FitSolverError:
            return np.nan
        except ValueError as exc:  # FitDataError: values outside (0, 1)
            raise PipelineError(
                f"BetaFitDayOfYear: the source has values outside (0, 1) ({str(exc).splitlines()[0]}); "
                "give scale_float [min, max]",
                field="attrs.scale_float",
            ) from None
        if index == 0:
            return float(a)
        if index == 1:
            return float(b)
        return float(beta.ppf(self.percentiles[index - 2], a, b))


def _window(days: np.ndarray, doy: int, win: int) -> np.ndarray:
    """PODPAC's day-of-year window: days within ``win`` of ``doy``, wrapping at the year's ends."""
    split = doy - win < 1 or doy + win > _DAYS_PER_YEAR
    start = ((doy - 1) - win) % _DAYS_PER_YEAR + 1
    end = ((doy - 1) + win) % _DAYS_PER_YEAR + 1
    after, before = days >= start, days <= end
    return (after | before) if split else (after & before)
