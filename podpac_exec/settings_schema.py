"""What a setting may hold: its default, type, range and meaning (checked in every layer).

A section declares its keys as ``key -> SettingSpec`` (or ``key -> default``, which infers the
type and allows any value of it). :func:`check_value` converts a raw value (a TOML value, an
environment string, a ``--set`` JSON value, a keyword) to the declared type and checks its range;
it raises ``ValueError`` with the reason, which :mod:`podpac_exec.settings` turns into a one-line
``SettingsError`` naming the key and the layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ENV_PREFIX = "PODPAC_EXEC_"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class SettingSpec:
    """One setting: ``default`` fixes its type; ``minimum``/``maximum`` bound numbers (inclusive);
    ``choices`` lists the allowed strings, ``aliases`` maps other spellings onto them."""

    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    doc: str = ""

    @property
    def type_name(self) -> str:
        default = self.default
        if isinstance(default, bool):
            return "bool"
        if isinstance(default, (list, tuple)):
            return "list of str"
        return type(default).__name__ if default is not None else "str"

    def describe_range(self) -> str:
        if self.choices:
            return ", ".join(c or "(empty)" for c in self.choices)
        if self.minimum is not None and self.maximum is not None:
            return f"{_num(self.minimum)} .. {_num(self.maximum)}"
        if self.minimum is not None:
            return f">= {_num(self.minimum)}"
        if self.maximum is not None:
            return f"<= {_num(self.maximum)}"
        return ""


def as_spec(value: Any) -> SettingSpec:
    """A declared value as a spec (a bare default declares the type only)."""
    return value if isinstance(value, SettingSpec) else SettingSpec(value)


def env_name(key: str) -> str:
    """The environment variable of ``key``: ``tiling.max_tile_bytes`` -> ``PODPAC_EXEC_TILING__MAX_TILE_BYTES``."""
    return ENV_PREFIX + key.replace(".", "__").upper()


def check_value(spec: SettingSpec, value: Any) -> Any:
    """``value`` converted to the spec's type and checked against its range; ``ValueError`` says why."""
    out = _coerce(value, spec)
    if spec.choices and out not in spec.choices:
        raise ValueError(f"must be one of {', '.join(spec.choices)}, got {value!r}")
    if isinstance(out, (int, float)) and not isinstance(out, bool):
        if spec.minimum is not None and out < spec.minimum:
            raise ValueError(f"must be >= {_num(spec.minimum)}, got {value!r}")
        if spec.maximum is not None and out > spec.maximum:
            raise ValueError(f"must be <= {_num(spec.maximum)}, got {value!r}")
        if isinstance(out, float) and out != out:
            raise ValueError(f"must be a number, got {value!r}")
    return out


def _coerce(value: Any, spec: SettingSpec) -> Any:
    default = spec.default
    wrong = ValueError(f"must be {spec.type_name}, got {value!r}")
    if spec.choices:
        text = str(value).lower() if isinstance(value, bool) else value
        if not isinstance(text, str):
            raise wrong
        text = text.strip().lower()
        return spec.aliases.get(text, text)
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
            return value.strip().lower() in _TRUE
        raise wrong
    if isinstance(default, int):
        if isinstance(value, bool):
            raise wrong
        if isinstance(value, float):
            if not value.is_integer():
                raise wrong
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                raise wrong from None
        if isinstance(value, int):
            return value
        raise wrong
    if isinstance(default, float):
        if isinstance(value, bool):
            raise wrong
        try:
            return float(value)
        except (TypeError, ValueError):
            raise wrong from None
    if isinstance(default, (list, tuple)):
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
            return list(value)
        raise wrong
    if isinstance(default, dict):
        if not isinstance(value, Mapping):
            raise wrong
        return dict(value)
    if default is None or isinstance(default, str):
        if not isinstance(value, str):
            raise wrong
        return value
    return value


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def markdown_table(specs: Mapping[str, SettingSpec]) -> str:
    """The reference table of ``docs/settings.md``: key, type, default, range, environment, meaning."""
    rows = ["| key | type | default | allowed | environment | meaning |", "|---|---|---|---|---|---|"]
    for key in sorted(specs):
        spec = specs[key]
        default = spec.default
        shown = ", ".join(default) if isinstance(default, (list, tuple)) else default
        rows.append(
            f"| `{key}` | {spec.type_name} | `{shown!s}` | {spec.describe_range()} | `{env_name(key)}` | {spec.doc} |"
            .replace("``", "(empty)")
        )
    return "\n".join(rows) + "\n"
