"""xarray without the dask.array import it does not need.

xarray asks ``isinstance(data, array_type("dask"))`` in every ``DataArray(...)``, and the first
ask imports ``dask.array`` (and with it scipy.sparse, when installed): 0.6 s of the first
evaluation in a process that never uses a dask array, such as a Lambda client or a function
container. No object can be a dask array before ``dask.array`` is imported, so until then the
answer is "no type"; after, the real type. Everything else xarray asks of the module is the real
answer. Only xarray's private duck-array cache is touched, and only when it has no dask entry:
with another xarray, nothing changes but the import cost.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

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
