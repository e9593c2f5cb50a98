"""Rewrite an older PODPAC pipeline definition into PODPAC 4.0.5's format.

One pass per concern, each noting what it rewrote in the :class:`UpgradeReport`:

1. the 1.x ``{"nodes": ..., "output": ...}`` wrapper is unwrapped (the output node kept);
2. each node: old class paths, ``native_coordinates`` (renamed ``coordinates`` in 2.0), the
   1.x node-level ``source``/``lookup_source``/``sources``/``interpolation`` keys;
3. ``lookup_attrs``: a node ref becomes an input, ``"ref.attr"`` the attr's value (or input);
4. data sources that interpolated themselves (every format before 4.0) become a raw source and
   an ``Interpolate`` node under the old ref, so their users see the same values; a compositor's
   ``interpolation`` (1.x/2.x set it on its data sources) gets its own ``Interpolate`` per source;
5. inputs defined after their users are moved before them, in the order PODPAC 4 loads them
   (so the output node, the last one PODPAC builds, stays the same).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from podpac_exec.pipelines.formats import META_KEYS, Format, detect
from podpac_exec.pipelines.paths import Resolved, removed, resolve
from podpac_exec.pipelines.report import PipelineUpgradeError, UpgradeReport

INTERPOLATE = "core.interpolation.interpolation.Interpolate"
CURRENT_VERSION = "4.0.5"
DEFAULT_INTERPOLATION = "nearest"  # PODPAC's settings["DEFAULT_INTERPOLATION"] in every release
_RENAMED_ATTRS = {"native_coordinates": "coordinates"}  # PODPAC 2.0

Spec = dict  # one node entry (an OrderedDict: key order is kept)


def upgrade_definition(definition: Any) -> tuple[Any, UpgradeReport | None]:
    """``definition`` in the current format, and what was rewritten (None: it was current).

    Anything that is not a mapping of node entries is returned as it is, for the loader to
    reject with its own message.
    """
    if not isinstance(definition, Mapping):
        return definition, None
    fmt = detect(definition)
    report = UpgradeReport(fmt.label)
    nodes, output = _unwrap(definition, fmt, report)
    if not all(isinstance(ref, str) and isinstance(spec, Mapping) for ref, spec in nodes.items()):
        return definition, None  # malformed: the loader names the entry
    specs: OrderedDict[str, Spec] = OrderedDict()
    plans: dict[str, _NodePlan] = {}
    for ref, spec in nodes.items():
        plans[ref] = _plan(ref, spec, fmt, nodes, report)
        specs[ref] = plans[ref].spec
    for ref, plan in plans.items():
        _lookup_attrs(ref, plan, specs, report)
    specs = _wrap_interpolation(specs, plans, report)
    order = _load_order(specs)
    if order != list(specs):
        report.add("nodes reordered so that inputs come before their users (" + ", ".join(order) + ")")
    if not report.changes:
        return definition, None
    out: OrderedDict[str, Any] = OrderedDict((ref, specs[ref]) for ref in order)
    if output is not None and output != order[-1]:
        out["podpac_output_node"] = output
    out["podpac_version"] = CURRENT_VERSION
    return out, report


# -- 1. the 1.x pipeline wrapper -------------------------------------------------------------------


def _unwrap(definition: Mapping[str, Any], fmt: Format, report: UpgradeReport) -> tuple[Mapping[str, Any], str | None]:
    if not fmt.pipeline:
        nodes = OrderedDict((k, v) for k, v in definition.items() if k not in META_KEYS)
        output = definition.get("podpac_output_node")
        return nodes, output if isinstance(output, str) else None
    key = "output" if "output" in definition else "pipeline_output"
    spec = definition.get(key) or {}
    if not isinstance(spec, Mapping):
        raise PipelineUpgradeError(f"the 1.x pipeline's {key!r} must be an object", field=key)
    output = spec.get("node", spec.get("nodes"))
    if isinstance(output, list):
        if len(output) != 1:
            raise PipelineUpgradeError(
                f"the 1.x pipeline's {key} names {len(output)} nodes; a pipeline has one output node",
                field=f"{key}.nodes",
            )
        output = output[0]
    if output is not None and (not isinstance(output, str) or output not in definition["nodes"]):
        raise PipelineUpgradeError(
            f"the 1.x pipeline's {key} names {output!r}, which is not one of its nodes", field=f"{key}.node"
        )
    report.add('unwrapped the 1.x {"nodes", "%s"} format' % key)
    dropped = [k for k in spec if k not in ("node", "nodes")]
    if dropped:
        report.add(f"{key} settings dropped ({', '.join(dropped)}): write outputs with 'podpac-exec evaluate'")
    return definition["nodes"], output


# -- 2. one node ----------------------------------------------------------------------------------


@dataclass
class _NodePlan:
    """A node's entry in the current layout, and what the later passes need to know about it."""

    spec: Spec
    wrap: Any = None  # the interpolation of a self-interpolating data source
    compositor_interpolation: Any = None  # a 1.x/2.x compositor's interpolation for its data sources
    lookup: Any = None  # lookup_attrs (lookup_source included), resolved once every node is known


def _plan(ref: str, spec: Mapping[str, Any], fmt: Format, nodes: Mapping[str, Any], report: UpgradeReport) -> _NodePlan:
    if "path" in spec and "node" not in spec:
        raise PipelineUpgradeError(
            f"node {ref!r} is a 1.x Pipeline node reading another file ({spec['path']!r}); "
            "paste that pipeline's nodes in instead",
            field=f"{ref}.path",
        )
    name, found = _class(ref, spec, report)
    kind = found.cls.kind if found else "node"
    has_interpolation_attr = found is None or "interpolation" in found.cls.attrs
    attrs = _copy_mapping(spec.get("attrs", {}))
    inputs = _copy_mapping(spec.get("inputs", {}))
    for old, current in _RENAMED_ATTRS.items():
        if isinstance(attrs, dict) and old in attrs and current not in attrs:
            attrs[current] = attrs.pop(old)
            report.add(f"{ref}: attrs.{old} -> attrs.{current}")
    lookup = _node_level_inputs(ref, spec, kind, nodes, attrs, inputs, report)

    interpolation = None
    if "interpolation" in spec:
        interpolation = spec["interpolation"]
        if kind not in ("datasource", "compositor"):
            raise PipelineUpgradeError(
                f"node {ref!r}: a node-level 'interpolation' on a {kind} ({name!r}) has no PODPAC 4 form",
                field=f"{ref}.interpolation",
            )
    elif kind in ("datasource", "compositor") and not has_interpolation_attr and isinstance(attrs, dict):
        interpolation = attrs.pop("interpolation", None)
    plan = _NodePlan(OrderedDict(), lookup=lookup)
    if has_interpolation_attr:  # WCS, Interpolate: still an attr in PODPAC 4
        if interpolation is not None:
            _put(attrs, "interpolation", interpolation, ref, "attrs")
    elif kind == "datasource" and not found.raw and (fmt.interpolating_sources or interpolation is not None):
        plan.wrap = DEFAULT_INTERPOLATION if interpolation is None else interpolation
    elif kind == "compositor":
        plan.compositor_interpolation = interpolation

    new = plan.spec
    if "node" in spec:
        new["node"] = name
    if "plugin" in spec:
        new["plugin"] = spec["plugin"]
    if attrs:
        new["attrs"] = attrs
    if inputs:
        new["inputs"] = inputs
    for key in spec:
        if key not in new and key not in ("lookup_attrs", "lookup_source", "attrs", "inputs", *_NODE_LEVEL):
            new[key] = spec[key]  # style, style_class, or a key the loader rejects
    return plan


def _class(ref: str, spec: Mapping[str, Any], report: UpgradeReport) -> tuple[Any, Resolved | None]:
    """The node's class name in PODPAC 4.0.5's form, and what it resolves to (None: not PODPAC's)."""
    name = spec.get("node")
    if not isinstance(name, str) or "plugin" in spec:
        return name, None
    found = resolve(name)
    if found is None:
        alternative = removed(name)
        if alternative:
            raise PipelineUpgradeError(
                f"node {ref!r}: {name!r} was removed from PODPAC; rewrite it as {alternative}", field=f"{ref}.node"
            )
        return name, None
    if name not in found.cls.names or found.raw:
        report.add(f"{ref}: class {name!r} -> {found.cls.path!r}")
        name = found.cls.path
    return name, found


def _node_level_inputs(
    ref: str, spec: Mapping[str, Any], kind: str, nodes: Mapping[str, Any], attrs: Any, inputs: Any,
    report: UpgradeReport,
) -> Any:
    """Move 1.x's node-level ``source``/``sources`` into attrs/inputs; return the lookups to resolve."""
    lookup = spec.get("lookup_attrs")
    if "source" in spec:
        value = spec["source"]
        if kind != "datasource" and isinstance(value, str) and value in nodes:
            _put(inputs, "source", value, ref, "inputs")
            report.add(f"{ref}: node-level source -> inputs.source")
        else:
            _put(attrs, "source", value, ref, "attrs")
            report.add(f"{ref}: node-level source -> attrs.source")
    if "lookup_source" in spec:
        lookup = dict(lookup if isinstance(lookup, Mapping) else {}, source=spec["lookup_source"])
    if "sources" in spec:
        sources = spec["sources"]
        _put(inputs, "sources", list(sources) if isinstance(sources, list) else sources, ref, "inputs")
        report.add(f"{ref}: node-level sources -> inputs.sources")
    return lookup


_NODE_LEVEL = ("source", "sources", "interpolation")


def _copy_mapping(value: Any) -> Any:
    """A new mapping holding the same values: the passes replace entries, never change values in place."""
    return OrderedDict(value.items()) if isinstance(value, Mapping) else value


def _put(target: Any, key: str, value: Any, ref: str, where: str) -> None:
    if not isinstance(target, dict):
        raise PipelineUpgradeError(f"node {ref!r}: {where} must be an object", field=f"{ref}.{where}")
    if key in target:
        raise PipelineUpgradeError(
            f"node {ref!r}: {key!r} is given twice (node-level and in {where})", field=f"{ref}.{key}"
        )
    target[key] = value


# -- 3. lookup_attrs -----------------------------------------------------------------------------


def _lookup_attrs(ref: str, plan: _NodePlan, specs: Mapping[str, Spec], report: UpgradeReport) -> None:
    if plan.lookup is None:
        return
    if not isinstance(plan.lookup, Mapping):
        raise PipelineUpgradeError(f"node {ref!r}: lookup_attrs must be an object", field=f"{ref}.lookup_attrs")
    spec = plan.spec
    for old_key, value in plan.lookup.items():
        field = f"{ref}.lookup_attrs.{old_key}"
        key = _RENAMED_ATTRS.get(old_key, old_key)
        if _all_refs(value, specs):
            spec.setdefault("inputs", OrderedDict())
            _put(spec["inputs"], key, value, ref, "inputs")
            report.add(f"{ref}: lookup_attrs.{old_key} -> inputs.{key}")
            continue
        if not isinstance(value, str) or "." not in value:
            raise PipelineUpgradeError(f"node {ref!r}: lookup_attrs.{key} = {value!r} names no node", field=field)
        target_ref, *attr_path = value.split(".")
        target = specs.get(target_ref)
        if target is None:
            raise PipelineUpgradeError(
                f"node {ref!r}: lookup_attrs.{key} refers to nonexistent node {target_ref!r}", field=field
            )
        attr = _RENAMED_ATTRS.get(attr_path[0], attr_path[0])
        if len(attr_path) == 1 and attr in target.get("attrs", {}):
            spec.setdefault("attrs", OrderedDict())
            _put(spec["attrs"], key, target["attrs"][attr], ref, "attrs")
            report.add(f"{ref}: lookup_attrs.{old_key} ({value}) -> attrs.{key}")
        elif len(attr_path) == 1 and attr in target.get("inputs", {}):
            spec.setdefault("inputs", OrderedDict())
            _put(spec["inputs"], key, target["inputs"][attr], ref, "inputs")
            report.add(f"{ref}: lookup_attrs.{old_key} ({value}) -> inputs.{key}")
        else:
            raise PipelineUpgradeError(
                f"node {ref!r}: lookup_attrs.{key} = {value!r} reads an attribute that {target_ref!r}'s definition "
                "does not hold (a computed property cannot be upgraded); give the value in attrs instead",
                field=field,
            )


def _all_refs(value: Any, specs: Mapping[str, Any]) -> bool:
    if isinstance(value, str):
        return value in specs
    items = value.values() if isinstance(value, Mapping) else value if isinstance(value, list) else None
    return bool(items) and all(isinstance(v, str) and v in specs for v in items)


# -- 4. self-interpolating data sources -------------------------------------------------------------


def _interpolate(source: str, interpolation: Any) -> Spec:
    return OrderedDict(
        [("node", INTERPOLATE), ("attrs", {"interpolation": interpolation}), ("inputs", {"source": source})]
    )


def _wrap_interpolation(
    specs: OrderedDict[str, Spec], plans: Mapping[str, _NodePlan], report: UpgradeReport
) -> OrderedDict[str, Spec]:
    taken = set(specs)

    def fresh(base: str) -> str:
        ref, n = base, 0
        while ref in taken:
            n += 1
            ref = f"{base}_{n}"
        taken.add(ref)
        return ref

    raw_ref: dict[str, str] = {}
    out: OrderedDict[str, Spec] = OrderedDict()
    for ref, spec in specs.items():
        plan = plans[ref]
        if plan.wrap is not None:
            raw_ref[ref] = fresh(f"{ref}_source")
            out[raw_ref[ref]] = spec
            out[ref] = _interpolate(raw_ref[ref], plan.wrap)
            report.add(f"{ref}: data source interpolation {plan.wrap!r} -> Interpolate node (source {raw_ref[ref]!r})")
            continue
        sources = spec.get("inputs", {}).get("sources") if isinstance(spec.get("inputs"), Mapping) else None
        if plan.compositor_interpolation is not None and isinstance(sources, list):
            method = plan.compositor_interpolation
            new_sources = []
            for source in sources:
                if source in raw_ref and plans[source].wrap != method:
                    wrapper = fresh(f"{source}_{ref}")
                    out[wrapper] = _interpolate(raw_ref[source], method)
                    new_sources.append(wrapper)
                else:
                    new_sources.append(source)
            spec["inputs"]["sources"] = new_sources
            if new_sources != sources:
                report.add(f"{ref}: compositor interpolation {method!r} -> an Interpolate node per data source")
            else:
                report.add(f"{ref}: compositor interpolation {method!r} removed (no data source needed it)")
        out[ref] = spec
    return out


# -- 5. load order --------------------------------------------------------------------------------


def _load_order(specs: Mapping[str, Spec]) -> list[str]:
    """The order PODPAC 4 builds the nodes in: definition order, an input built when first needed."""
    order: list[str] = []
    done: set[str] = set()
    for start in specs:
        if start in done:
            continue
        stack: list[tuple[str, list[str]]] = [(start, _input_refs(specs[start], specs))]
        active = {start}
        while stack:
            ref, pending = stack[-1]
            if pending:
                child = pending.pop(0)
                if child in done:
                    continue
                if child in active:
                    _cycle(child, [r for r, _ in stack], specs)
                active.add(child)
                stack.append((child, _input_refs(specs[child], specs)))
                continue
            stack.pop()
            active.discard(ref)
            done.add(ref)
            order.append(ref)
    return order


def _cycle(start: str, stack: list[str], specs: Mapping[str, Spec]) -> None:
    """Raise for the cycle that leaves ``start`` (on ``stack``) and comes back to it."""
    after = stack[stack.index(start) + 1 :]
    target = after[0] if after else start
    inputs = specs[start].get("inputs", {})
    key = next((k for k, v in inputs.items() if target in _input_refs({"inputs": {k: v}}, specs)), "")
    raise PipelineUpgradeError(
        f"node {start!r}: input {key!r} refers to {target!r}, and the inputs come back to {start!r} "
        "(cycles are not allowed)",
        field=f"{start}.inputs.{key}",
    )


def _input_refs(spec: Spec, specs: Mapping[str, Any]) -> list[str]:
    inputs = spec.get("inputs", {})
    if not isinstance(inputs, Mapping):
        return []
    refs: list[str] = []
    for value in inputs.values():
        items = [value] if isinstance(value, str) else list(value.values()) if isinstance(value, Mapping) else value
        if isinstance(items, list):
            refs.extend(v for v in items if isinstance(v, str) and v in specs)
    return refs
