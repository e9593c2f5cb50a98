"""PODPAC's generic algorithm nodes: Arithmetic (a safe expression over named inputs) and Mask."""

from __future__ import annotations

import operator
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import traitlets as tl

from podpac_exec.errors import CoordinatesError, ExpressionError, PipelineError
from podpac_exec.nodes._arrays import align_axes, exact_shape, keep_dims
from podpac_exec.nodes.base import Node
from podpac_exec.nodes.destination import destination, writing_into
from podpac_exec.nodes.parallel import in_two
from podpac_exec.nodes.traits import NodeTrait
from podpac_exec.nodes.utility import _Algorithm

if TYPE_CHECKING:
    from podpac_exec.coordinates import Coordinates


class _GenericInputs(_Algorithm):
    """PODPAC's ``GenericInputs``: every keyword holding a node (other than the declared attrs)
    is an input named by its keyword, written under ``inputs``."""

    def __init__(self, **kwargs: Any) -> None:
        name = type(self).__name__
        names = self.attr_names()
        named: dict[str, Node] = {}
        for key in list(kwargs):
            if key == "inputs":  # PODPAC's trait holding the named inputs: not a usable name
                raise PipelineError(f"{name}: 'inputs' is reserved and cannot name an input", field="inputs.inputs")
            if key == "style" or key in names:
                if isinstance(kwargs[key], Node):
                    raise PipelineError(
                        f"{name}: {key!r} is a reserved attribute and cannot name an input", field=f"inputs.{key}"
                    )
                continue
            value = kwargs.pop(key)
            if not isinstance(value, Node):
                raise PipelineError(
                    f"{name}: input {key!r} must be a node, got {type(value).__name__} "
                    f"(attributes are: {', '.join(names)})",
                    field=f"inputs.{key}",
                )
            named[key] = value
        self._named_inputs = named
        super().__init__(**kwargs)

    @property
    def inputs(self) -> dict[str, Node]:
        return dict(self._named_inputs)

    def _base_definition(self) -> OrderedDict[str, Any]:
        d = super()._base_definition()
        style = d.pop("style", None)
        d["inputs"] = dict(self._named_inputs)
        if style is not None:
            d["style"] = style
        return d


class Arithmetic(_GenericInputs):
    """``eqn`` evaluated pointwise over named input nodes, PODPAC style.

    ``Arithmetic(A=SinCoords(), B=Arange(), eqn="A * B + {k}", params={"k": 1})``: every keyword
    holding a node (other than the declared attrs) is an input named by its keyword; ``{name}``
    in ``eqn`` is replaced by ``params[name]``. Inputs are broadcast together (reductions have
    fewer dims); as in PODPAC the result takes the dtype of the first input.
    """

    fresh_values = True

    podpac_name = "core.algorithm.generic.Arithmetic"
    podpac_aliases = ("algorithm.Arithmetic",)

    eqn = tl.Unicode("").tag(attr=True)
    params = tl.Dict().tag(attr=True)

    def validate(self) -> None:
        if not self.eqn:
            raise PipelineError("Arithmetic eqn cannot be empty", field="attrs.eqn")
        if not self._named_inputs:
            raise PipelineError("Arithmetic needs at least one input node (e.g. A=...)", field="inputs")
        self._compiled = self._compile()

    def _compile(self) -> Any:
        from podpac_exec.nodes.expressions import compile_expression

        try:
            compiled = compile_expression(self.eqn, list(self._named_inputs), params=dict(self.params))
        except ExpressionError as exc:
            field = exc.field or "eqn"
            if field.split(".")[0] in ("eqn", "params"):
                field = f"attrs.{field}"
            raise ExpressionError(f"Arithmetic eqn {self.eqn!r}: {exc.message}", field=field) from None
        unknown = [name for name in compiled.names_used if name not in self._named_inputs]
        if unknown:
            raise PipelineError(
                f"Arithmetic eqn uses {unknown[0]!r}, which is neither an input ({', '.join(self._named_inputs)}) "
                "nor a {param}",
                field="attrs.eqn",
            )
        return compiled

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_compiled", None)  # recompiled on first use after unpickling
        state.pop("_last_output", None)
        return state

    def output_coordinates(self, coordinates: "Coordinates") -> "Coordinates":
        # asked several times per evaluation (planning, evaluating, the result), each asking
        # every input in turn: the last answer is kept (coordinates are immutable)
        last = self.__dict__.get("_last_output")
        if last is not None and last[0] is coordinates:
            return last[1]
        out = self._output_coordinates(coordinates)
        self._last_output = (coordinates, out)
        return out

    def _output_coordinates(self, coordinates: "Coordinates") -> "Coordinates":
        from podpac_exec.coordinates import Coordinates

        outs = [node.output_coordinates(coordinates) for node in self._named_inputs.values()]
        base = keep_dims(coordinates, {d for out in outs for d in out.dims})
        # an input that resizes a dim (DayOfYear's day labels, an expansion) gives the output its size
        resized = {d: m for out in reversed(outs) for d, m in out.items() if d in base.dims and m.size != base[d].size}
        if not resized:
            return base
        return Coordinates([resized.get(d, m) for d, m in base.items()], crs=base.crs)

    def _eval(self, coordinates: "Coordinates") -> np.ndarray:
        compiled = self.__dict__.get("_compiled")
        if compiled is None:  # unpickled
            compiled = self._compiled = self._compile()
        out = self.output_coordinates(coordinates)
        used = [name for name in self._named_inputs if name in compiled.names_used]
        # a fresh input nothing else holds may take the result (no new array to allocate); in a
        # tile, the result goes to the tile's region of the whole result (no copy into it after),
        # and the first fresh input may be computed there already (the result then overwrites
        # it in place, each block read before it is written)
        fresh = [name for name in used if self._named_inputs[name].gives_fresh_values()]
        region = destination(self, out.shape)
        host = fresh[0] if fresh and region is not None else None
        arrays = {name: self._input_values(name, coordinates, out.dims, region if name == host else None) for name in used}
        result = compiled.evaluate(arrays, reuse=fresh, out=region)
        # PODPAC writes the result into a copy of the first (broadcast) input: its dtype wins.
        first = next(iter(self._named_inputs))
        dtype = arrays[first].dtype if first in arrays else np.float64
        return exact_shape(result, out.shape, dtype)

    def _input_values(self, name: str, coordinates: "Coordinates", dims: tuple[str, ...], region: np.ndarray | None) -> np.ndarray:
        """Input ``name``'s values (broadcastable) on ``dims``, computed into ``region`` if it can."""
        node = self._named_inputs[name]
        if region is None:
            return align_axes(*node.eval_broadcastable(coordinates), dims)
        with writing_into(node, region):
            return align_axes(*node.eval_broadcastable(coordinates), dims)


class Combine(_GenericInputs):
    """One of several named inputs, chosen by ``output`` (PODPAC's multi-output ``Combine``).

    PODPAC stacks the inputs along an ``output`` dim named by ``outputs`` (default: the input
    names, in input order); with ``output`` set it returns that one. Only that form is
    supported: a result with an ``output`` dim is not. Only the chosen input is evaluated
    (PODPAC evaluates all and requires equal coordinates; their dims are checked here).
    """

    podpac_name = "core.algorithm.generic.Combine"
    podpac_aliases = ()
    selects_output = True

    def validate(self) -> None:
        names = list(self._named_inputs)
        if not names:
            raise PipelineError("Combine needs at least one input node (e.g. A=...)", field="inputs")
        if self.outputs is None:
            self.outputs = names  # PODPAC's default, written out as PODPAC does
        if len(self.outputs) != len(names):
            raise PipelineError(
                f"Combine.outputs names {len(self.outputs)} outputs for {len(names)} inputs", field="attrs.outputs"
            )
        if self.output is None:
            raise PipelineError(
                f"Combine.output: a result with an 'output' dim (multi-output) is not supported; "
                f"set output to one of {', '.join(map(str, self.outputs))}",
                field="attrs.output",
            )
        if self.output not in self.outputs:
            raise PipelineError(
                f"Combine.output {self.output!r} is not one of the outputs {', '.join(map(str, self.outputs))}",
                field="attrs.output",
            )

    @property
    def selected(self) -> Node:
        return list(self._named_inputs.values())[list(self.outputs).index(self.output)]

    def output_coordinates(self, coordinates: "Coordinates") -> "Coordinates":
        outs = [node.output_coordinates(coordinates) for node in self._named_inputs.values()]
        if any(out.dims != outs[0].dims for out in outs):
            raise CoordinatesError(
                "Combine: cannot combine inputs with different coordinates "
                f"({', '.join(f'{k}: {o.dims}' for k, o in zip(self._named_inputs, outs))})",
                field="inputs",
            )
        return self.selected.output_coordinates(coordinates)

    def _eval(self, coordinates: "Coordinates") -> np.ndarray:
        self.output_coordinates(coordinates)
        return self.selected.eval_values(coordinates)[0]


_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class Mask(_Algorithm):
    """``source`` with ``masked_val`` (NaN when None) where ``mask <bool_op> bool_val``.

    A mask with fewer dims is broadcast over the source; as in PODPAC, a mask with dims the
    source lacks masks nothing. ``in_place`` is accepted for compatibility: outputs are never
    shared here, so it changes nothing. A fresh source array (one nothing else holds) is
    written in place.
    """

    podpac_name = "core.algorithm.generic.Mask"
    podpac_aliases = ("algorithm.Mask",)

    fresh_values = True

    source = NodeTrait(allow_none=True).tag(attr=True)
    mask = NodeTrait(allow_none=True).tag(attr=True)
    masked_val = tl.Float(default_value=None, allow_none=True).tag(attr=True)
    bool_val = tl.Float(1.0).tag(attr=True)
    bool_op = tl.Enum(list(_OPS), default_value="==").tag(attr=True)
    in_place = tl.Bool(False).tag(attr=True)

    def validate(self) -> None:
        for name in ("source", "mask"):
            if getattr(self, name) is None:
                raise PipelineError(f"Mask needs a {name} node", field=f"inputs.{name}")

    def output_coordinates(self, coordinates: "Coordinates") -> "Coordinates":
        return self.source.output_coordinates(coordinates)

    def _eval(self, coordinates: "Coordinates") -> np.ndarray:
        source, source_dims = self.source.eval_values(coordinates)
        mask, mask_dims = self.mask.eval_values(coordinates)
        if any(d not in source_dims for d in mask_dims):
            return np.array(source)  # a copy: the source's array may be shared
        source = np.asarray(source)
        mask = align_axes(np.asarray(mask), mask_dims, source_dims)
        value = np.nan if self.masked_val is None else self.masked_val
        with np.errstate(invalid="ignore"):  # the unsafe cast of copyto(casting="unsafe"), e.g. NaN into integers
            fill = np.asarray(value).astype(source.dtype)
        # a fresh source nothing else holds takes the fill in place (no new array to allocate)
        writable = (self.source.gives_fresh_values() and source.flags.c_contiguous and source.flags.writeable
                    and not np.may_share_memory(source, mask))
        out = source if writable else np.empty(source.shape, source.dtype)
        op, bool_val = _OPS[self.bool_op], self.bool_val
        masked_into(out, source, mask, lambda m: op(m, bool_val), fill)
        return out


#: Elements per block of :func:`masked_into` (its boolean block stays in cache).
MASK_BLOCK = 65536


def masked_into(out: np.ndarray, source: np.ndarray, mask: np.ndarray, hit: Callable[[np.ndarray], np.ndarray],
                fill: np.ndarray) -> None:
    """``out[...] = where(hit(mask), fill, source)`` block by block along the leading axis (on two
    threads when free); ``mask`` broadcasts to ``source``, ``out`` (C-contiguous, may be ``source``)
    has its shape. Every cell's value is the same whatever the blocks."""
    in_place = out is source
    if mask.shape == source.shape and source.ndim != 1:
        out, source, mask = out.reshape(-1), source.reshape(-1), mask.reshape(-1)  # rows of one cell
    if source.ndim == 0 or source.size == 0:
        np.copyto(out, np.where(hit(mask), fill, source))
        return
    rows = source.shape[0]
    step = max(1, MASK_BLOCK // max(1, source.size // rows))
    starts = range(0, rows, step)
    whole_mask = mask.shape[0] != rows  # a size-1 leading axis: the same for every block

    def run(first: int, stop: int) -> None:
        for start in starts[first:stop]:
            block = slice(start, start + step)
            hits = hit(mask if whole_mask else mask[block])
            if not in_place:
                out[block] = source[block]
            np.copyto(out[block], fill, where=hits)

    in_two(run, len(starts))
