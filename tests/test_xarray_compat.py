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


def test_an_output_built_on_a_template_is_its_copy_and_its_own() -> None:
    import numpy as np
    import xarray as xr

    from podpac_exec import xarray_compat

    template = xr.DataArray(np.zeros((3, 4)), coords={"lat": [1.0, 2, 3], "lon": [5.0, 6, 7, 8]}, dims=("lat", "lon"))
    values = np.arange(12.0).reshape(3, 4)
    out = xarray_compat.on_template(template, values, {"crs": "EPSG:4326"})
    expected = template.copy(deep=False, data=values)
    expected.attrs = {"crs": "EPSG:4326"}
    assert out.identical(expected) and out.values is values
    other = xarray_compat.on_template(template, values * 2, {})
    out.coords["extra"] = ("lat", [0, 1, 2])  # one output's new coordinate is its own
    out.attrs["k"] = 1
    assert "extra" not in template.coords and "extra" not in other.coords and other.attrs == {}
    listed = xarray_compat.on_template(template, [[0.0] * 4] * 3, {})  # not an ndarray: converted by the copy
    assert isinstance(listed.data, np.ndarray) and listed.shape == (3, 4)


def test_an_xarray_whose_internals_differ_gets_the_public_copy(monkeypatch) -> None:
    import numpy as np
    import xarray as xr

    from podpac_exec import xarray_compat

    def broken(*args: object) -> None:
        raise TypeError("unexpected keyword argument 'fastpath'")

    monkeypatch.setattr(xarray_compat, "_direct_ok", None)
    monkeypatch.setattr(xarray_compat, "_direct", broken)
    template = xr.DataArray(np.zeros(2), coords={"lat": [1.0, 2.0]}, dims=("lat",))
    out = xarray_compat.on_template(template, np.ones(2), {"a": 1})
    assert out.attrs == {"a": 1} and list(out.values) == [1.0, 1.0] and xarray_compat._direct_ok is False
