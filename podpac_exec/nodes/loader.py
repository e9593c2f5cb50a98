"""Build nodes from PODPAC pipeline definitions, with clear errors and size limits."""

from __future__ import annotations

import json
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from podpac_exec.errors import LimitExceededError, PipelineError, PodpacExecError
from podpac_exec.nodes.base import PROVIDED, Node, blame

_NODE_KEYS = ("node", "plugin", "attrs", "inputs", "style", "style_class")
_META_KEYS = ("podpac_version", "podpac_output_node")


def load_json(text: str | bytes) -> Node:
    """Parse PODPAC pipeline JSON (bare ``NaN`` tokens allowed) and build its output node."""
    return load_definition(parse_json(text))


def parse_json(text: str | bytes) -> Any:
    """Pipeline JSON as ordered mappings, within ``limits.max_pipeline_bytes``."""
    from podpac_exec.settings import settings

    limit = settings.get("limits.max_pipeline_bytes")
    size = len(text.encode() if isinstance(text, str) else text)
    if size > limit:
        raise LimitExceededError(
            f"pipeline JSON is {size} bytes, above limits.max_pipeline_bytes={limit}", field="pipeline"
        )
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PipelineError(f"pipeline JSON is not UTF-8 ({exc.reason})", field="pipeline") from None
    try:
        return json.loads(text, object_pairs_hook=OrderedDict)
    except json.JSONDecodeError as exc:
        raise PipelineError(
            f"malformed pipeline JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", field="pipeline"
        ) from None
    except RecursionError:
        raise PipelineError("pipeline JSON is nested too deeply", field="pipeline") from None


def load_definition(definition: Any) -> Node:
    """Build the output node of a PODPAC pipeline definition (an ordered mapping of refs).

    A definition in an older PODPAC format is upgraded first, with one
    :class:`~podpac_exec.pipelines.PipelineUpgradeWarning` saying what was rewritten.
    """
    from podpac_exec.nodes.registry import get_node_registry
    from podpac_exec.pipelines import PipelineUpgradeWarning, upgrade_definition
    from podpac_exec.settings import settings

    definition, report = upgrade_definition(definition)
    if report is not None:
        warnings.warn(report.message, PipelineUpgradeWarning, stacklevel=3)

    if not isinstance(definition, Mapping):
        raise PipelineError(
            f"a pipeline definition must be a JSON object of node refs, got {type(definition).__name__}",
            field="pipeline",
        )
    refs = [ref for ref in definition if ref not in _META_KEYS]
    if not refs:
        raise PipelineError("the pipeline defines no nodes", field="pipeline")
    max_nodes = settings.get("limits.max_nodes")
    if len(refs) > max_nodes:
        raise LimitExceededError(
            f"the pipeline has {len(refs)} nodes, above limits.max_nodes={max_nodes}", field="pipeline"
        )
    max_depth = settings.get("limits.max_depth")
    registry = get_node_registry()

    nodes: dict[str, Node] = {}
    depth: dict[str, int] = {}
    for ref in refs:
        spec = definition[ref]
        if not isinstance(ref, str) or not ref:
            raise PipelineError(f"node refs must be non-empty strings, got {ref!r}", field="pipeline")
        if not isinstance(spec, Mapping):
            raise PipelineError(f"node {ref!r} must be a JSON object, got {type(spec).__name__}", field=ref)
        extra = [k for k in spec if k not in _NODE_KEYS]
        if extra:
            raise PipelineError(
                f"node {ref!r} has unknown key {extra[0]!r}; allowed keys: {', '.join(_NODE_KEYS)}",
                field=f"{ref}.{extra[0]}",
            )
        name = spec.get("node")
        if not isinstance(name, str):
            raise PipelineError(f"node {ref!r} needs a 'node' type name (a string)", field=f"{ref}.node")
        if "plugin" in spec:
            if not isinstance(spec["plugin"], str):
                raise PipelineError(f"node {ref!r}: 'plugin' must be a module name", field=f"{ref}.plugin")
            name = f"{spec['plugin']}.{name}"
        cls = registry.lookup(name, field=f"{ref}.node")
        attrs = _mapping(spec.get("attrs", {}), f"{ref}.attrs")
        input_refs = _mapping(spec.get("inputs", {}), f"{ref}.inputs")
        style = _mapping(spec.get("style", {}), f"{ref}.style")
        kwargs: dict[str, Any] = dict(attrs)
        child_depths = [0]
        for key, value in input_refs.items():
            if key in kwargs:
                raise PipelineError(f"node {ref!r}: {key!r} is given both as attr and input", field=f"{ref}.inputs.{key}")
            kwargs[key] = _resolve_inputs(value, ref, key, nodes, definition)
            child_depths.extend(depth[r] for r in _refs_in(value))
        depth[ref] = 1 + max(child_depths)
        if depth[ref] > max_depth:
            raise LimitExceededError(
                f"node {ref!r} is {depth[ref]} levels deep, above limits.max_depth={max_depth}", field=ref
            )
        if "style" in spec:
            kwargs["style"] = dict(style)
        nodes[ref] = _build(cls, ref, kwargs)

    output_ref = definition.get("podpac_output_node")
    if output_ref is None:
        return nodes[refs[-1]]
    if not isinstance(output_ref, str) or output_ref not in nodes:
        raise PipelineError(
            f"podpac_output_node names {output_ref!r}, which is not a node of this pipeline", field="podpac_output_node"
        )
    return nodes[output_ref]


def _mapping(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PipelineError(f"{field} must be a JSON object, got {type(value).__name__}", field=field)
    return value


def _refs_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return list(value.values())
    return list(value)


def _resolve_inputs(value: Any, ref: str, key: str, nodes: dict[str, Node], definition: Mapping[str, Any]) -> Any:
    field = f"{ref}.inputs.{key}"

    def one(target: Any) -> Node:
        if not isinstance(target, str):
            raise PipelineError(f"node {ref!r}: input {key!r} must name a node ref, got {target!r}", field=field)
        if target in nodes:
            return nodes[target]
        if target == ref or target in definition:
            raise PipelineError(
                f"node {ref!r}: input {key!r} refers to {target!r}, which is not defined before it "
                "(inputs must come before their users; cycles are not allowed)",
                field=field,
            )
        raise PipelineError(f"node {ref!r}: input {key!r} refers to nonexistent node {target!r}", field=field)

    if isinstance(value, str):
        return one(value)
    if isinstance(value, list) and value:
        return [one(v) for v in value]
    if isinstance(value, Mapping) and value:
        return {k: one(v) for k, v in value.items()}
    raise PipelineError(
        f"node {ref!r}: input {key!r} must be a node ref, a list of refs or an object of refs", field=field
    )


def _build(cls: type[Node], ref: str, kwargs: dict[str, Any]) -> Node:
    try:
        node = cls(**kwargs)
    except PodpacExecError as exc:
        raise blame(ref, exc) from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, ArithmeticError) as exc:
        # ArithmeticError: an integer attr beyond float64 (1e400 written as digits) overflows
        raise PipelineError(f"node {ref!r} ({cls.__name__}): {exc}", field=ref) from None
    node.__dict__["_pipeline_ref"] = ref  # errors while it evaluates name it (base.blame); not hashed
    return node


PROVIDED.update(load_definition=load_definition, load_json=load_json)
