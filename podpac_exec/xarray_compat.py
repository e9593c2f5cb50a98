"""xarray without the dask.array import it does not need, and cheap outputs on shared coordinates.

xarray asks ``isinstance(data, array_type("dask"))`` in every ``DataArray(...)``, and the first
ask imports ``dask.array`` (and with it scipy.sparse, when installed): 0.6 s of the first
evaluation in a process that never uses a dask array, such as a Lambda client or a function
container. No object can be a dask array before ``dask.array`` is imported, so until then the
answer is "no type"; after, the real type. Everything else xarray asks of the module is the real
answer. Only xarray's private duck-array cache is touched, and only when it has no dask entry:
with another xarray, nothing changes but the import cost.

:func:`on_template` builds an output DataArray on a template's coordinates directly (xarray's
own fast path), checked once against the public copy it replaces.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import numpy as np

_lock = threading.Lock()
_installed = False


class _LazyDaskModule:
    """Stands for xarray's ``DuckArrayModule("dask")``, building the real one on first need."""

    def __init__(self, real: Any) -> None:
        self._real_class, self._real = real, None

    @property
    def type(self) -> tuple[type, ...]:
        dask_array = sys.modules.get("dask.array")
        if dask_array is None or not hasattr(dask_array, "Array"):
            return ()
        return (dask_array.Array,)

    def __getattr__(self, name: str) -> Any:  # module, version, available: the real answers
        if self._real is None:
            self._real = self._real_class("dask")
        return getattr(self._real, name)


def install() -> None:
    """Put the lazy dask entry in xarray's duck-array cache (idempotent; call after importing xarray)."""
    global _installed
    if _installed:
        return
    with _lock:
        _installed = True  # tried once: another xarray layout pays the import, as before
        try:
            from xarray.namedarray import pycompat
        except ImportError:
            return
        cache = getattr(pycompat, "_cached_duck_array_modules", None)
        real = getattr(pycompat, "DuckArrayModule", None)
        if isinstance(cache, dict) and real is not None:
            cache.setdefault("dask", _LazyDaskModule(real))


#: whether :func:`on_template` may build DataArrays directly (None: not checked yet)
_direct_ok: bool | None = None


def on_template(template: Any, values: Any, attrs: dict[str, Any]) -> Any:
    """``template.copy(deep=False, data=values)`` with ``attrs``: a DataArray sharing the
    template's coordinates and (immutable) indexes, built directly from them (a fifteenth of the
    copy's cost, most of a small evaluation's). The direct form is used once it has given the
    copy's result exactly; with an xarray where it does not, the copy."""
    global _direct_ok
    if _direct_ok is not False and type(values) is np.ndarray:  # a plain array needs no conversion
        try:
            direct = _direct(template, values, attrs)
        except Exception:  # noqa: BLE001 - another xarray's internals: the public way below
            _direct_ok = False
        else:
            if _direct_ok:
                return direct
            _direct_ok = direct.identical(_copied(template, values, attrs)) and type(direct) is type(template)
            if _direct_ok:
                return direct
    return _copied(template, values, attrs)


def _direct(template: Any, values: Any, attrs: dict[str, Any]) -> Any:
    import xarray as xr

    variable = xr.Variable(template.dims, values, attrs, fastpath=True)
    # the coordinate and index mappings are the output's own: adding a coordinate to one output
    # must not add it to the template
    return xr.DataArray(variable, coords=dict(template._coords), indexes=dict(template._indexes), fastpath=True)


def _copied(template: Any, values: Any, attrs: dict[str, Any]) -> Any:
    out = template.copy(deep=False, data=values)
    out.attrs = attrs
    return out
