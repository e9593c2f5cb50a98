"""xarray_compat: a DataArray of numpy values does not import dask.array; dask arrays still work."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
import numpy as np
import podpac_exec as pe
from podpac_exec.nodes.base import output_array

coords = pe.Coordinates([pe.clinspace(0, 1, 3, "lat"), pe.clinspace(0, 1, 4, "lon")])
out = pe.evaluate(pe.Node.from_definition({"a": {"node": "core.algorithm.utility.Arange"}}), coords)
assert out.shape == (3, 4)
assert "dask.array" not in sys.modules, "dask.array imported"

import dask.array as da
import xarray as xr
from xarray.namedarray.pycompat import array_type

lazy = xr.DataArray(da.zeros((4, 4), chunks=2), dims=("lat", "lon"))
assert isinstance(lazy.data, da.Array) and array_type("dask") == (da.Array,)
assert float((lazy + 1).sum().compute()) == 16.0
masked = xr.DataArray(np.ma.masked_array([1.0, 2.0], mask=[True, False]))
assert np.isnan(masked.values[0]) and masked.values[1] == 2.0
print("ok")
"""


def test_numpy_results_skip_dask_array_and_dask_arrays_still_work() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
