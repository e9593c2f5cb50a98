"""Trait types for node attributes that hold nodes, arrays or coordinates."""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets as tl


class NodeTrait(tl.Instance):
    """An input node. Declared on a node class with ``.tag(attr=True)`` like every attribute."""

    def __init__(self, **kwargs: Any) -> None:
        from podpac_exec.nodes.base import Node

        super().__init__(klass=Node, **kwargs)


class ArrayTrait(tl.TraitType):
    """A numpy array attribute; lists (as loaded from JSON, NaN included) are converted."""

    info_text = "an array of numbers"
    default_value = None

    def __init__(self, dtype: Any = float, ndim: int | None = None, **kwargs: Any) -> None:
        self.dtype = dtype
        self.ndim = ndim
        kwargs.setdefault("allow_none", True)
        super().__init__(**kwargs)

    def validate(self, obj: Any, value: Any) -> Any:
        if value is None:
            return value
        if isinstance(value, (bool, str, bytes, dict)) or (
            isinstance(value, (list, tuple)) and _contains_non_numbers(value)
        ):
            self.error(obj, value)
        try:
            arr = np.asarray(value, dtype=self.dtype)
        except (TypeError, ValueError, OverflowError):  # OverflowError: an integer beyond float64
            self.error(obj, value)
        if self.ndim is not None and arr.ndim != self.ndim:
            raise tl.TraitError(f"expected a {self.ndim}-d array, got {arr.ndim}-d with shape {arr.shape}")
        return arr


def _contains_non_numbers(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, bool) or not isinstance(item, (int, float, np.number)) and item is not None:
            return True
    return False


class CoordinatesTrait(tl.TraitType):
    """A :class:`~podpac_exec.coordinates.Coordinates` attribute; PODPAC definitions are loaded."""

    info_text = "coordinates"
    default_value = None

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_none", True)
        super().__init__(**kwargs)

    def validate(self, obj: Any, value: Any) -> Any:
        from podpac_exec.coordinates import Coordinates
        from podpac_exec.errors import CoordinatesError

        if value is None or isinstance(value, Coordinates):
            return value
        try:
            if isinstance(value, (dict, list)):
                return Coordinates.from_definition(value)
            if isinstance(value, str):  # PODPAC's Reproject writes its coordinates as JSON text
                return Coordinates.from_json(value)
        except CoordinatesError as exc:
            raise tl.TraitError(str(exc)) from exc
        self.error(obj, value)
