"""The :class:`Node` base class: attributes, inputs, PODPAC definitions, hashing, evaluation.

A node's attributes are traits tagged ``attr=True``; those holding nodes (or lists/dicts of
nodes) are its inputs. Nodes are immutable once built, so their definition and hash are
computed once.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Iterator, Mapping

import numpy as np
import traitlets as tl

from podpac_exec.errors import PipelineError, PodpacExecError
from podpac_exec.nodes.repeated import is_shared, shared_values

if TYPE_CHECKING:
    import xarray as xr

    from podpac_exec.coordinates import Coordinates

#: The PODPAC release whose pipeline format we read and write.
PODPAC_FORMAT_VERSION = "4.0.5"

#: PODPAC's attrs that only matter when they are set to something other than ``None``.
_DROPPED_WHEN_NONE = ("units", "outputs", "output")

#: What nodes need from the modules built on this one (they import it, so it cannot import
#: them): the loader's ``load_definition``/``load_json`` and the ``Interpolate`` node. They fill
#: it when imported; ``podpac_exec.nodes``, which Python always imports before this module,
#: imports both.
PROVIDED: dict[str, Any] = {}

@dataclass(frozen=True)
class NodeRequirements:
    """What the tile planner must respect for a node (and, merged, for its whole graph).

    ``reduce_dims``: dims the node reduces over; they are never split across tiles.
    ``halo``: extra cells per dim the node reads on each side of its output (focal operations);
    tiles are evaluated with this halo and cropped.
    ``whole_request``: the values depend on the whole request (e.g. ``Arange`` numbers its
    cells), so the graph is evaluated as one tile.
    """

    reduce_dims: frozenset[str] = frozenset()
    halo: Mapping[str, int] = field(default_factory=dict)
    whole_request: bool = False

    def merge(self, other: "NodeRequirements") -> "NodeRequirements":
        """This node's requirements (``other``) on top of its inputs' (``self``)."""
        halo = dict(self.halo)
        for dim, cells in other.halo.items():
            halo[dim] = halo.get(dim, 0) + cells  # focal ops chained: halos add up
        return NodeRequirements(self.reduce_dims | other.reduce_dims, halo, self.whole_request or other.whole_request)


class Node(tl.HasTraits):
    """Base class of every pipeline node.

    Subclasses set :attr:`podpac_name` (PODPAC's full class path, e.g.
    ``"core.algorithm.generic.Arithmetic"``), optionally :attr:`podpac_aliases` (short forms
    such as ``"algorithm.Arithmetic"``), declare their attributes and inputs as traits tagged
    ``attr=True`` and implement :meth:`_eval`.
    """

    podpac_name: ClassVar[str] = ""
    podpac_aliases: ClassVar[tuple[str, ...]] = ()
    default_style: ClassVar[Mapping[str, Any]] = {}
    #: PODPAC's unary algorithms (Interpolate, Convolution, reductions) show their source's style.
    inherits_source_style: ClassVar[bool] = False
    #: A multi-output node evaluated for one output (``output`` set): ``output``/``outputs`` allowed.
    selects_output: ClassVar[bool] = False
    #: Top-level modules evaluating this type imports beyond numpy (its bases' add to it): the
    #: Lambda function prefetches them at cold start (see :meth:`declared_imports`).
    imports: ClassVar[tuple[str, ...]] = ("numpy",)
    #: Methods whose errors name the node they come from (:func:`blame`): what a node meets
    #: while it evaluates (a file it opens, an expansion too big) comes long after the loader
    #: could name it. Each class's own definitions of them are wrapped.
    blamed_methods: ClassVar[tuple[str, ...]] = ("_eval", "output_coordinates", "eval_broadcastable")
    #: Set by a class whose own ``_eval`` returns a new array that nothing else holds, so a
    #: consumer may write into what :meth:`eval_values` gives (see :meth:`gives_fresh_values`).
    fresh_values: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in cls.blamed_methods:
            method = cls.__dict__.get(name)
            if callable(method) and not getattr(method, "__blaming__", False):
                setattr(cls, name, blaming(method))

    # PODPAC's multi-output and units attrs: accepted as None (what PODPAC writes by default).
    units = tl.Unicode(default_value=None, allow_none=True).tag(attr=True)
    outputs = tl.List(default_value=None, allow_none=True).tag(attr=True)
    output = tl.Unicode(default_value=None, allow_none=True).tag(attr=True)

    style = tl.Dict()

    def __init__(self, **kwargs: Any) -> None:
        unknown = [k for k in kwargs if k != "style" and k not in self.attr_names()]
        if unknown:
            raise PipelineError(
                f"{type(self).__name__} has no attribute {unknown[0]!r}; "
                f"its attributes are: {', '.join(sorted(self.attr_names()))}",
                field=f"attrs.{unknown[0]}",
            )
        source = kwargs.get("source")
        if self.inherits_source_style and "style" not in kwargs and isinstance(source, Node):
            kwargs["style"] = dict(source.style)
        kwargs.setdefault("style", dict(self.default_style))
        super().__init__()
        for name, value in kwargs.items():
            try:
                setattr(self, name, value)
            except tl.TraitError as exc:
                raise PipelineError(
                    f"{type(self).__name__}.{name}: {_trait_message(exc)}", field=f"attrs.{name}"
                ) from None
        for name in _DROPPED_WHEN_NONE:
            if getattr(self, name) is not None and not (self.selects_output and name in ("output", "outputs")):
                raise PipelineError(
                    f"{type(self).__name__}.{name}: only None is supported (multi-output nodes and units "
                    "are not implemented)",
                    field=f"attrs.{name}",
                )
        self.validate()
        self._frozen = True
        self._definition_cache: OrderedDict[str, Any] | None = None
        self._hash_cache: str | None = None

    @classmethod
    def declared_imports(cls) -> frozenset[str]:
        """The top-level modules this type and its bases declare in :attr:`imports`."""
        return frozenset(m for klass in cls.__mro__ for m in vars(klass).get("imports", ()))

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_frozen", False) and (name in self.attr_names() or name == "style"):
            raise AttributeError(f"{type(self).__name__}.{name} is read-only: nodes are immutable")
        super().__setattr__(name, value)

    # -- structure -----------------------------------------------------------------------------

    @classmethod
    def attr_names(cls) -> list[str]:
        """Names of every attribute (inputs included), sorted."""
        names = _ATTR_NAMES.get(cls)
        if names is None:  # class_traits() is slow and a class's traits are fixed
            names = _ATTR_NAMES[cls] = tuple(
                sorted(name for name, trait in cls.class_traits().items() if trait.metadata.get("attr"))
            )
        return list(names)

    def validate(self) -> None:
        """Check cross-attribute rules after construction; raise :class:`PipelineError`."""

    @property
    def inputs(self) -> dict[str, "Node | list[Node] | dict[str, Node]"]:
        """Attributes holding nodes (or non-empty lists/dicts of nodes), by name."""
        return {name: value for name in self.attr_names() if _is_input(value := getattr(self, name))}

    def input_nodes(self) -> Iterator["Node"]:
        """Every direct input node, in attribute order."""
        for value in self.inputs.values():
            if isinstance(value, Node):
                yield value
            elif isinstance(value, dict):
                yield from value.values()
            else:
                yield from value

    # -- serialization -------------------------------------------------------------------------

    @property
    def base_ref(self) -> str:
        return type(self).__name__

    def _base_definition(self) -> OrderedDict[str, Any]:
        d: OrderedDict[str, Any] = OrderedDict(node=self.podpac_name or _plugin_name(type(self)))
        attrs, inputs = OrderedDict(), OrderedDict()
        for name in self.attr_names():
            value = getattr(self, name)
            if _is_input(value):
                inputs[name] = value
            elif not (name in _DROPPED_WHEN_NONE and value is None):
                attrs[name] = _to_json_value(value)
        if attrs:
            d["attrs"] = attrs
        if inputs:
            d["inputs"] = inputs
        if self.style:
            d["style"] = dict(self.style)
        return d

    @property
    def definition(self) -> OrderedDict[str, Any]:
        """PODPAC's pipeline definition: refs in dependency order, output last."""
        if self._definition_cache is None:
            refs: list[str] = []
            nodes: list[Node] = []
            defs: list[OrderedDict[str, Any]] = []
            _add_node(self, refs, nodes, defs)
            definition = OrderedDict(zip(refs, defs))
            definition["podpac_version"] = PODPAC_FORMAT_VERSION
            self._definition_cache = definition
        return _deepcopy_json(self._definition_cache)

    @property
    def json(self) -> str:
        """The definition as compact JSON (PODPAC's format, bare ``NaN`` tokens included)."""
        text = self.__dict__.get("_json")
        if text is None:  # nodes are immutable: serialised once (remote tiles each carry it)
            text = self.__dict__["_json"] = json.dumps(self.definition, separators=(",", ":"))
        return text

    @property
    def json_pretty(self) -> str:
        return json.dumps(self.definition, indent=2)

    @property
    def hash(self) -> str:
        """sha256 of the graph's canonical form: independent of ref names, key order and style."""
        if self._hash_cache is None:
            canonical = {
                "node": self.podpac_name or _plugin_name(type(self)),
                "attrs": {
                    name: _canonical_value(getattr(self, name))
                    for name in self.attr_names()
                    if not _is_input(getattr(self, name))
                },
                "inputs": {name: _input_hashes(value) for name, value in self.inputs.items()},
            }
            text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), allow_nan=True)
            self._hash_cache = hashlib.sha256(text.encode()).hexdigest()
        return self._hash_cache

    @classmethod
    def from_definition(cls, definition: Mapping[str, Any]) -> "Node":
        return PROVIDED["load_definition"](definition)

    @classmethod
    def from_json(cls, text: str | bytes) -> "Node":
        return PROVIDED["load_json"](text)

    # -- evaluation ----------------------------------------------------------------------------

    def requirements(self) -> NodeRequirements:
        """This node's own tiling requirements; override in reducing or focal nodes."""
        return NodeRequirements()

    def graph_requirements(self) -> NodeRequirements:
        """Requirements of the whole graph below (and including) this node."""
        cached = self.__dict__.get("_graph_requirements")
        if cached is None:  # nodes are immutable
            cached = self.__dict__["_graph_requirements"] = self._graph_requirements()
        return cached

    def _graph_requirements(self) -> NodeRequirements:
        below = NodeRequirements()
        for node in self.input_nodes():
            sub = node.graph_requirements()
            below = NodeRequirements(
                below.reduce_dims | sub.reduce_dims,
                _max_halo(below.halo, sub.halo),
                below.whole_request or sub.whole_request,
            )
        return below.merge(self.requirements())

    def output_coordinates(self, coordinates: "Coordinates") -> "Coordinates":
        """The coordinates of this node's output for a request (reductions drop dims)."""
        return coordinates

    def eval(self, coordinates: "Coordinates") -> "xr.DataArray":  # noqa: A003 - PODPAC's name
        """Evaluate in this process at ``coordinates``; dims follow the request's order."""
        return self._as_output(coordinates, self._eval(coordinates))

    def interpolate(self, interpolation: Any = "nearest", *, method: Any = None, **kwargs: Any) -> "Node":
        """An ``Interpolate`` node with this node as its source (PODPAC's ``Node.interpolate``).

        ``interpolation`` is PODPAC's argument (a method name, a dict or a list of dicts);
        ``method`` is accepted as its synonym. Other keywords go to ``Interpolate``.
        """
        Interpolate = PROVIDED["Interpolate"]
        if method is not None:
            if interpolation != "nearest":
                raise PipelineError("interpolate: give interpolation or method, not both", field="interpolation")
            interpolation = method
        return Interpolate(source=self, interpolation=interpolation, **kwargs)

    def _as_output(self, coordinates: "Coordinates", out: "xr.DataArray | np.ndarray") -> "xr.DataArray":
        if isinstance(out, np.ndarray):
            out = self.create_output_array(self.output_coordinates(coordinates), out)
        order = [d for d in coordinates.dims if d in out.dims]
        if list(out.dims) != order:
            out = out.transpose(*order)
        return out

    def eval_values(self, coordinates: "Coordinates") -> tuple[np.ndarray, tuple[str, ...]]:
        """``eval(coordinates)``'s values and dims without building a DataArray.

        For nodes consuming their inputs' values; the array is the one ``eval`` would wrap, so
        callers must not write into it. A node that several consumers share in the pipeline
        being evaluated (one not giving fresh values) hands every consumer the values of its
        first evaluation at the request (``repeated.py``).
        """
        return shared_values(self, coordinates, lambda: self._own_values(coordinates))

    def _own_values(self, coordinates: "Coordinates") -> tuple[np.ndarray, tuple[str, ...]]:
        cls = type(self)
        if cls.eval is Node.eval and cls.create_output_array is Node.create_output_array:
            values = self._eval(coordinates)
            # a plain numeric array with dims in the request's order is what eval would wrap as it is
            if type(values) is np.ndarray and values.dtype.kind in "biuf":
                out_coords = self.output_coordinates(coordinates)
                if list(out_coords.dims) == [d for d in coordinates.dims if d in out_coords.dims]:
                    return output_values(values, out_coords.shape), tuple(out_coords.dims)
            out = self._as_output(coordinates, values)
        else:
            out = self.eval(coordinates)
        return np.asarray(out.data), tuple(out.dims)

    def gives_fresh_values(self) -> bool:
        """Whether :meth:`eval_values` returns an array its caller may write into: the class
        that defines this node's ``_eval`` declares ``fresh_values``, and ``eval`` and
        ``eval_values`` are the base ones (a subclass overriding ``_eval`` does not inherit it),
        and the node is not one that several consumers share in the running evaluation."""
        return self.declares_fresh_values() and not is_shared(self)

    def declares_fresh_values(self) -> bool:
        """The class's part of :meth:`gives_fresh_values` (whatever evaluation is running)."""
        cls = type(self)
        if cls.eval is not Node.eval or cls.eval_values is not Node.eval_values:
            return False
        definer = next(k for k in cls.__mro__ if "_eval" in vars(k))
        return bool(vars(definer).get("fresh_values", False))

    def eval_broadcastable(self, coordinates: "Coordinates") -> tuple[np.ndarray, tuple[str, ...]]:
        """:meth:`eval_values`, or values that broadcast to them: size-1 axes where the output
        does not vary (CoordData), for nodes combining inputs elementwise (Arithmetic) that need
        not pay for what repeats. Callers must not write into the array."""
        return self.eval_values(coordinates)

    def _eval(self, coordinates: "Coordinates") -> "xr.DataArray | np.ndarray":
        raise NotImplementedError(f"{type(self).__name__} does not implement _eval")

    def create_output_array(self, coordinates: "Coordinates", data: Any = np.nan) -> "xr.DataArray":
        """A DataArray on ``coordinates`` holding ``data`` (broadcast; float64 by default)."""
        return output_array(coordinates, output_values(data, coordinates.shape), {"crs": coordinates.crs})

    # -- python protocol -----------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Node) and self.hash == other.hash

    def __hash__(self) -> int:
        return hash(self.hash)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.hash[:12]}>"


# -- helpers -----------------------------------------------------------------------------------


#: Node class -> its sorted attribute names.
_ATTR_NAMES: dict[type, tuple[str, ...]] = {}

#: id(Coordinates) -> (weak reference, a data-less DataArray on them); an entry lives as long as its key.
_TEMPLATES: dict[int, tuple[Any, Any]] = {}


def blame(node: "Node | str", exc: PodpacExecError) -> PodpacExecError:
    """``exc`` as raised by ``node``: ``node 'R': ...`` with the field under the node's ref
    (``R.attrs.band``), for a node of a loaded pipeline; ``Rasterio: ...`` for one made in Python.

    ``node`` may be the pipeline ref itself (the loader, before the node exists). An error blamed
    once passes through unchanged, as do errors built with other arguments."""
    if getattr(exc, "blamed", False) or type(exc).__init__ is not PodpacExecError.__init__:
        return exc
    if (exc.field or "").startswith("coordinates"):  # the request is at fault, not the node
        return exc
    ref = node if isinstance(node, str) else node.__dict__.get("_pipeline_ref")
    field_ = exc.field
    if not isinstance(node, str) and field_ and not field_.startswith(("attrs.", "inputs.")):
        if field_.split(".")[0].split("[")[0] in type(node).attr_names():
            field_ = f"attrs.{field_}"  # an attr checked by a helper that names it alone
    if ref is not None:
        named = type(exc)(f"node {ref!r}: {exc.message}", field=f"{ref}.{field_}" if field_ else ref)
    else:
        cls = type(node).__name__
        named_already = any(exc.message.startswith(c.__name__) for c in type(node).__mro__)
        named = type(exc)(exc.message if named_already else f"{cls}: {exc.message}", field=field_)
    named.blamed = True  # type: ignore[attr-defined]
    return named


def blaming(method: Any) -> Any:
    """``method`` with the errors it raises blamed on its node (see :func:`blame`)."""

    @functools.wraps(method)
    def wrapper(self: "Node", *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except PodpacExecError as exc:
            named = blame(self, exc)
            if named is exc:
                raise
            raise named from None

    wrapper.__blaming__ = True  # type: ignore[attr-defined]
    return wrapper


def output_array(coordinates: "Coordinates", values: np.ndarray, attrs: dict[str, Any]) -> "xr.DataArray":
    """``xr.DataArray(values, coords=coordinates.xcoords, dims=coordinates.dims, attrs=attrs)``, faster.

    Building the coordinate indexes is most of a DataArray's cost. Indexes are immutable, so the
    outputs on one Coordinates object (a node's output, the aligned result) share them: each is
    a shallow copy of a template. Stacked dims have writable non-index coordinates: built afresh.
    """
    import xarray as xr

    from podpac_exec import xarray_compat

    xarray_compat.install()

    key = id(coordinates)
    entry = _TEMPLATES.get(key)
    if entry is not None and entry[0]() is coordinates:
        template = entry[1]
    else:
        xcoords = coordinates.xcoords
        if any(isinstance(value, tuple) for value in xcoords.values()):
            return xr.DataArray(values, coords=xcoords, dims=coordinates.dims, attrs=attrs)
        empty = np.broadcast_to(np.float64(0), coordinates.shape)
        template = xr.DataArray(empty, coords=xcoords, dims=coordinates.dims)
        ref = weakref.ref(coordinates, lambda _, key=key: _TEMPLATES.pop(key, None))
        _TEMPLATES[key] = (ref, template)
    return xarray_compat.on_template(template, values, attrs)


def output_values(data: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``data`` as a node's output values of ``shape`` (broadcast into a float64 copy if needed)."""
    values = np.asarray(data)
    if values.shape != shape:
        values = np.broadcast_to(values, shape).astype(np.float64, copy=True)
    return values


def _trait_message(exc: tl.TraitError) -> str:
    text = str(exc).strip()
    return text.split("\n")[0] if text else "invalid value"


def _is_input(value: Any) -> bool:
    if isinstance(value, Node):
        return True
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, Node) for v in value):
        return True
    if isinstance(value, dict) and value and all(isinstance(v, Node) for v in value.values()):
        return True
    return False


def _plugin_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _add_node(node: Node, refs: list[str], nodes: list[Node], defs: list[OrderedDict[str, Any]]) -> str:
    """Add ``node`` (inputs first, depth first) and return its ref, reusing equal nodes."""
    for ref, existing in zip(refs, nodes):
        if existing is node or existing.hash == node.hash:
            return ref
    d = node._base_definition()
    if "inputs" in d:
        linked: OrderedDict[str, Any] = OrderedDict()
        for key in sorted(d["inputs"]):
            value = d["inputs"][key]
            if isinstance(value, Node):
                linked[key] = _add_node(value, refs, nodes, defs)
            elif isinstance(value, dict):
                linked[key] = {k: _add_node(v, refs, nodes, defs) for k, v in value.items()}
            else:
                linked[key] = [_add_node(v, refs, nodes, defs) for v in value]
        d["inputs"] = linked
    ref = node.base_ref
    counter = 0
    while ref in refs:
        counter += 1
        ref = f"{node.base_ref}_{counter}"
    refs.append(ref)
    nodes.append(node)
    defs.append(d)
    return ref


def _to_json_value(value: Any) -> Any:
    """Convert an attribute value to what PODPAC writes in JSON."""
    from podpac_exec.coordinates import Coordinates

    if isinstance(value, Coordinates):
        return value.full_definition
    if isinstance(value, np.ndarray):
        if np.issubdtype(value.dtype, np.datetime64):
            return value.astype(str).tolist()
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return [_to_json_value(v) for v in value]
    if isinstance(value, list):
        return [_to_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_json_value(v) for k, v in value.items()}
    return value


def _canonical_value(value: Any) -> Any:
    """Normalize numbers (1 == 1.0, -0.0 == 0.0) so equal values hash equally."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf" and value.ndim:
        return _canonical_array(value)
    value = _to_json_value(value)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        f = float(value)
        if math.isnan(f):
            return "NaN"
        return f + 0.0
    if isinstance(value, list):
        return [_canonical_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _canonical_value(v) for k, v in value.items()}
    return repr(value)


def _canonical_array(value: np.ndarray) -> list[Any]:
    """``_canonical_value`` of a numeric array, element by element, without a Python call per element
    (an inline source of millions of values hashes in a second, not minutes)."""
    floats = value.astype(np.float64) + 0.0
    nan = np.isnan(floats)
    if not nan.any():
        return floats.tolist()
    out = floats.astype(object)
    out[nan] = "NaN"
    return out.tolist()


def _input_hashes(value: Any) -> Any:
    if isinstance(value, Node):
        return value.hash
    if isinstance(value, dict):
        return {k: v.hash for k, v in value.items()}
    return [v.hash for v in value]


def _max_halo(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    out = dict(a)
    for dim, cells in b.items():
        out[dim] = max(out.get(dim, 0), cells)
    return out


def _deepcopy_json(value: Any) -> Any:
    if isinstance(value, OrderedDict):
        return OrderedDict((k, _deepcopy_json(v)) for k, v in value.items())
    if isinstance(value, dict):
        return {k: _deepcopy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deepcopy_json(v) for v in value]
    return value
