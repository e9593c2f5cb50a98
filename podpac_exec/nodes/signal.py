"""``Convolution`` (PODPAC's ``core.algorithm.signal.Convolution``).

As in PODPAC the request is expanded by the kernel size along each kernel dim, the source is
evaluated on the expanded coordinates, convolved as ``scipy.signal.convolve`` (mode "same",
method "direct") does it, by :func:`podpac_exec.nodes.kernels.convolve_same` (rank-1 kernels as
1-d passes; NaN spreads to every window that touches it and values do not depend on the extent
of the request) and cropped back to the request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import traitlets as tl

from podpac_exec.errors import LimitExceededError, PipelineError
from podpac_exec.nodes.base import Node, NodeRequirements
from podpac_exec.nodes.traits import ArrayTrait, NodeTrait

if TYPE_CHECKING:
    import xarray as xr

    from podpac_exec.coordinates import Coordinates


def make_kernel(kernel_type: str, ndim: int, field: str = "attrs.kernel_type") -> np.ndarray:
    """PODPAC's kernel from ``"<type>,<size>[,<params>...]"``: "mean" or a ``scipy.signal.windows``
    window (outer product over ``ndim`` axes), normalised to sum 1."""
    parts = [p.strip() for p in kernel_type.split(",")]
    if len(parts) < 2:
        raise PipelineError(f"kernel_type must be '<type>,<size>[,<params>]', got {kernel_type!r}", field=field)
    ktype = parts[0]
    try:
        size = int(parts[1])
        args = [float(a) for a in parts[2:]]
    except ValueError:
        raise PipelineError(f"kernel_type size and params must be numbers, got {kernel_type!r}", field=field) from None
    if size < 1:
        raise PipelineError(f"kernel_type size must be at least 1, got {size}", field=field)
    limit = _max_kernel_cells()
    if not all(np.isfinite(a) for a in args):
        raise PipelineError(f"kernel_type params must be finite numbers, got {kernel_type!r}", field=field)
    if any(abs(a) > limit for a in args):
        # some windows allocate by a param (taylor's nbar): bound them like the kernel itself
        raise LimitExceededError(
            f"kernel_type params must lie within +-limits.max_kernel_cells={limit}, got {_shorten(kernel_type)!r}",
            field=field,
        )
    cells = 1
    for _ in range(ndim):  # not size**ndim: a huge size and many dims would make a huge integer
        cells *= size
        if cells > limit:  # checked before allocating: 'mean,100000' in 2-d would be 80 GB
            shown = size if size <= limit**2 else f"{str(size)[:20]}..."
            raise LimitExceededError(
                f"kernel_type {_shorten(kernel_type)!r} makes a kernel of {shown}^{ndim} cells, "
                f"above limits.max_kernel_cells={limit}",
                field=field,
            )
    if ktype == "mean":
        kernel = np.ones([size] * ndim)
    else:
        import scipy.signal.windows as windows

        if ktype.startswith("_") or ktype not in windows.__all__ or ktype == "get_window":
            raise PipelineError(
                f"unknown kernel type {ktype!r}; use 'mean' or a scipy.signal.windows window such as 'gaussian'",
                field=field,
            )
        try:
            k1d = np.asarray(getattr(windows, ktype)(size, *args), dtype=np.float64)
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise PipelineError(f"kernel_type {kernel_type!r}: {exc}", field=field) from None
        kernel = k1d
        for _ in range(ndim - 1):
            kernel = np.tensordot(kernel, k1d, 0)
    total = kernel.sum()
    if not np.isfinite(total) or total == 0:
        raise PipelineError(f"kernel_type {kernel_type!r} gives a kernel that sums to {total}", field=field)
    return kernel / total


def _shorten(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _max_kernel_cells() -> int:
    from podpac_exec.settings import settings

    return int(settings.get("limits.max_kernel_cells"))


def check_kernel_cells(cells: int, field: str = "attrs.kernel") -> None:
    """Refuse kernels above ``limits.max_kernel_cells`` (memory, and the cost of direct convolution)."""
    limit = _max_kernel_cells()
    if cells > limit:
        raise LimitExceededError(f"the kernel has {cells} cells, above limits.max_kernel_cells={limit}", field=field)


def _check_expanded_cells(cells: int) -> None:
    """A long kernel axis multiplies the cells the source evaluates: keep them within one tile."""
    from podpac_exec.settings import settings

    limit = settings.get("limits.max_tile_cells")
    if cells > limit:
        raise LimitExceededError(
            f"the kernel expands the request to {cells} cells, above limits.max_tile_cells={limit}",
            field="attrs.kernel",
        )


def _uniform_expansion(size: int) -> tuple[int, int]:
    """Cells PODPAC adds (before, after) along a uniform dim for a kernel of ``size``."""
    if size == 1:
        return 0, 0
    return -(-size // 2), max(size // 2 - ((size + 1) % 2), 1)


class Convolution(Node):
    """Convolves ``source`` with ``kernel`` over ``kernel_dims`` (or a kernel built from ``kernel_type``).

    Kernel dims missing from the source output are summed out of the kernel; source dims missing
    from ``kernel_dims`` are not convolved.
    """

    imports: ClassVar[tuple[str, ...]] = ("scipy",)

    inherits_source_style = True

    podpac_name: ClassVar[str] = "core.algorithm.signal.Convolution"
    podpac_aliases: ClassVar[tuple[str, ...]] = ("algorithm.Convolution",)

    source = NodeTrait(allow_none=True).tag(attr=True)
    kernel = ArrayTrait(dtype=float).tag(attr=True)
    kernel_dims = tl.List(tl.Unicode()).tag(attr=True)
    kernel_type = tl.List().tag(attr=True)  # PODPAC writes [] here; the string form is consumed

    def __init__(self, **kwargs: Any) -> None:
        kernel_type = kwargs.pop("kernel_type", None)
        if isinstance(kernel_type, str):
            if kwargs.get("kernel") is not None:
                raise PipelineError("give 'kernel' or 'kernel_type', not both", field="attrs.kernel_type")
            dims = kwargs.get("kernel_dims")
            if not isinstance(dims, (list, tuple)) or not dims:
                raise PipelineError("kernel_type needs 'kernel_dims'", field="attrs.kernel_dims")
            kwargs["kernel"] = make_kernel(kernel_type, len(dims))
        elif kernel_type not in (None, []):
            raise PipelineError(
                f"kernel_type must be a string such as 'mean,3' (or [] as PODPAC writes it), got {kernel_type!r}",
                field="attrs.kernel_type",
            )
        super().__init__(**kwargs)

    def validate(self) -> None:
        if self.source is None:
            raise PipelineError("Convolution needs a 'source' node", field="attrs.source")
        if self.kernel is None:
            message = "Convolution needs 'kernel' (with 'kernel_dims') or 'kernel_type'"
            raise PipelineError(message, field="attrs.kernel")
        if not self.kernel_dims:
            message = "Convolution needs 'kernel_dims', one dim name per kernel axis"
            raise PipelineError(message, field="attrs.kernel_dims")
        if len(set(self.kernel_dims)) != len(self.kernel_dims):
            raise PipelineError(f"kernel_dims has repeated dims: {self.kernel_dims}", field="attrs.kernel_dims")
        if self.kernel.ndim != len(self.kernel_dims):
            raise PipelineError(
                f"kernel has {self.kernel.ndim} axes (shape {self.kernel.shape}) but kernel_dims names "
                f"{len(self.kernel_dims)}: {self.kernel_dims}",
                field="attrs.kernel_dims",
            )
        if 0 in self.kernel.shape:
            raise PipelineError(f"kernel must not be empty, got shape {self.kernel.shape}", field="attrs.kernel")
        check_kernel_cells(int(self.kernel.size))

    def requirements(self) -> NodeRequirements:
        halo = {dim: _uniform_expansion(size)[0] for dim, size in zip(self.kernel_dims, self.kernel.shape) if size > 1}
        return NodeRequirements(halo=halo)

    def output_coordinates(self, coordinates: "Coordinates") -> "Coordinates":
        return self.source.output_coordinates(coordinates)

    def _eval(self, coordinates: "Coordinates") -> "np.ndarray | xr.DataArray":
        from podpac_exec.coordinates import Coordinates
        from podpac_exec.nodes.kernels import convolve_same

        members, crops = [], {}
        for dim, member in coordinates.items():
            expanded, crop = self._expand(dim, member)
            members.append(expanded)
            if crop is not None:
                crops[dim] = crop
        expanded_coords = Coordinates(members, crs=coordinates.crs) if crops else coordinates
        _check_expanded_cells(expanded_coords.size)
        data, source_dims = self.source.eval_values(expanded_coords)
        dims = list(source_dims)
        kernel = self._kernel_for(dims)
        # never FFT: its results change in the last bits with the array's extent, and tiled
        # evaluation must equal untiled evaluation exactly (NaN also spreads as in PODPAC)
        result = convolve_same(data, kernel)
        return result[tuple(crops.get(d, slice(None)) for d in dims)]

    def _kernel_for(self, dims: list[str]) -> np.ndarray:
        """The kernel on the source output's dims: extra kernel dims summed out, size-1 axes
        for dims the kernel lacks."""
        names = list(self.kernel_dims)
        summed = tuple(i for i, d in enumerate(names) if d not in dims)
        kernel = self.kernel.sum(axis=summed) if summed else self.kernel
        names = [d for d in names if d in dims]
        kernel = kernel.transpose([names.index(d) for d in dims if d in names])
        return kernel.reshape([self.kernel.shape[self.kernel_dims.index(d)] if d in names else 1 for d in dims])

    def _expand(self, dim: str, member: Any) -> tuple[Any, slice | None]:
        """``member`` extended like PODPAC does, and the slice that crops the result back."""
        from podpac_exec.coordinates import ArrayCoordinates1d, UniformCoordinates1d

        if dim not in self.kernel_dims:
            return member, None
        size = int(self.kernel.shape[self.kernel_dims.index(dim)])
        if size == 1:
            return member, None
        if isinstance(member, UniformCoordinates1d):
            before, after = _uniform_expansion(size)
            # same grid lineage as the request: tiles of a request expand to identical values
            return member.extend(before, after), slice(before, before + member.size)
        if isinstance(member, ArrayCoordinates1d) and member.is_monotonic and member.size >= 2:
            values = member.coordinates
            half = size // 2
            d0, d1 = values[1] - values[0], values[-1] - values[-2]
            # PODPAC's aranges: float rounding decides the counts, and for datetimes the 1e-14
            # guard is zero, so the tail has one point less (none for sizes 2 and 3)
            head = np.arange(values[0] - d0 * half, values[0], d0)
            tail = np.arange(values[-1] + d1, values[-1] + d1 * half + d1 * 1e-14, d1)
            before = head.size
            expanded = ArrayCoordinates1d(np.concatenate([head, values, tail]), name=member.name)
            return expanded, slice(before, before + member.size)
        return member, None  # stacked, single-point or unsorted coordinates: zero padding at the edges
