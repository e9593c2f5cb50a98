"""Layered settings (DESIGN.md section 5); later layers win.

defaults < user file (``~/.config/podpac_exec/config.toml``) < project file (``./podpac_exec.toml``)
< environment (``PODPAC_EXEC_<SECTION>__<KEY>``) < :meth:`Settings.override` < call arguments.

Keys are ``"backend"`` or ``"section.key"``. Types follow the defaults: environment strings are
converted to the default's type. AWS credentials never live here: boto3's own chain supplies them.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

from podpac_exec.errors import SettingsError

ENV_PREFIX = "PODPAC_EXEC_"
_NOT_SETTINGS = {"DISABLE_PLUGIN_AUTOLOAD", "TEST_REAL_AWS"}

DEFAULTS: dict[str, Any] = {
    "backend": "local",
    "tiling.max_tile_bytes": 64 * 2**20,
    "tiling.min_tiles": 1,
    "tiling.progress": "auto",
    "limits.max_cells": 2**32,
    "limits.max_tile_cells": 2**27,
    "limits.max_nodes": 1000,
    "limits.max_depth": 100,
    "limits.max_pipeline_bytes": 16 * 2**20,
    "limits.max_kernel_cells": 2**16,
    "limits.max_array_cells": 2**24,
    "sources.allowed_schemes": ["file", "s3"],
    "sources.allowed_buckets": [],
    "sources.allow_local_paths": True,
    "sources.local_roots": [],
    "local.max_workers": 0,
    "dask.scheduler_address": "",
    "retry.max_attempts": 5,
    "retry.base_delay_s": 0.2,
    "retry.max_delay_s": 10.0,
}

#: Names that look like secrets are masked by ``config show`` and never written to payloads.
SECRET_PATTERN = re.compile(r"secret|password|passwd|token|credential|private|access_key|session_key", re.I)

LAYERS = ("default", "user file", "project file", "environment", "override", "argument")


@dataclass(frozen=True)
class SettingValue:
    key: str
    value: Any
    layer: str
    source: str = ""

    @property
    def is_secret(self) -> bool:
        return bool(SECRET_PATTERN.search(self.key))


class EffectiveSettings(Mapping[str, Any]):
    """An immutable snapshot of every setting, with the layer each value came from."""

    def __init__(self, values: Mapping[str, SettingValue]) -> None:
        self._values = dict(values)

    def __getitem__(self, key: str) -> Any:
        try:
            return self._values[key].value
        except KeyError:
            raise KeyError(f"unknown setting {key!r}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def origin(self, key: str) -> SettingValue:
        return self._values[key]

    def section(self, name: str) -> dict[str, Any]:
        """Every ``name.*`` setting as a plain dict keyed without the prefix."""
        prefix = f"{name}."
        return {k[len(prefix) :]: v.value for k, v in self._values.items() if k.startswith(prefix)}

    def records(self) -> list[SettingValue]:
        return [self._values[k] for k in sorted(self._values)]

    def public(self) -> dict[str, Any]:
        """Every non-secret value: what may travel in a payload."""
        return {k: v.value for k, v in self._values.items() if not v.is_secret}


class Settings:
    """The process-wide settings object; see the module docstring for the layers."""

    def __init__(self) -> None:
        self._defaults: dict[str, Any] = dict(DEFAULTS)
        self._default_layer: dict[str, SettingValue] | None = None
        self._overrides: contextvars.ContextVar[tuple[dict[str, Any], ...]] = contextvars.ContextVar(
            "podpac_exec_overrides", default=()
        )

    # -- registration ---------------------------------------------------------------------------

    def register_defaults(self, section: str, defaults: Mapping[str, Any]) -> None:
        """Add a section's defaults (backends declare theirs in their BackendSpec)."""
        for key, value in defaults.items():
            full = f"{section}.{key}"
            if full in self._defaults and self._defaults[full] != value:
                raise SettingsError(f"setting {full!r} is declared twice with different defaults", field=full)
            self._defaults[full] = value

    @property
    def user_file(self) -> Path:
        return Path(self._user_path())

    @property
    def project_file(self) -> Path:
        return Path(self._project_path())

    # plain strings: snapshot() runs on every evaluate() and pathlib is slow for this
    def _user_path(self) -> str:
        base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        return os.path.join(base, "podpac_exec", "config.toml")

    def _project_path(self) -> str:
        return os.path.join(os.getcwd(), "podpac_exec.toml")

    # -- reading ----------------------------------------------------------------------------------

    def snapshot(self, arguments: Mapping[str, Any] | None = None) -> EffectiveSettings:
        """Resolve every layer now; ``arguments`` is the per-call layer."""
        self._ensure_plugin_defaults()
        defaults = self._default_layer
        if defaults is None or len(defaults) != len(self._defaults):  # defaults are only ever added
            defaults = self._default_layer = {k: SettingValue(k, v, "default") for k, v in self._defaults.items()}
        values = dict(defaults)
        for layer, path in (("user file", self._user_path()), ("project file", self._project_path())):
            table = _read_toml(path)
            source = str(Path(path)) if table else ""
            for key, value in table.items():
                values[key] = SettingValue(key, self._convert(key, value, source), layer, source)
        for key, value in _read_environment().items():
            values[key] = SettingValue(key, self._convert(key, value, "environment"), "environment", f"{ENV_PREFIX}...")
        for layer_values in self._overrides.get():
            for key, value in layer_values.items():
                values[key] = SettingValue(key, self._convert(key, value, "override"), "override")
        for key, value in normalize_keys(arguments or {}).items():
            values[key] = SettingValue(key, self._convert(key, value, "argument"), "argument")
        return EffectiveSettings(values)

    def get(self, key: str) -> Any:
        return self.snapshot()[key]

    def known_keys(self) -> frozenset[str]:
        """Every declared setting key (defaults of the core and of registered backends)."""
        self._ensure_plugin_defaults()
        return frozenset(self._defaults)

    def __getitem__(self, key: str) -> Any:
        return self.get(key)

    @contextlib.contextmanager
    def override(self, **values: Any) -> Iterator[None]:
        """Temporarily set values, e.g. ``override(backend="local", tiling__max_tile_bytes=2**20)``
        or ``override(aws_lambda={"function_name": "f"})``; nests, and is per thread/task."""
        layer = normalize_keys(values)
        for key in layer:
            self._check_known(key, "override")
        token = self._overrides.set(self._overrides.get() + (layer,))
        try:
            yield
        finally:
            self._overrides.reset(token)

    # -- internals ------------------------------------------------------------------------------

    def _ensure_plugin_defaults(self) -> None:
        from podpac_exec.plugins.manager import get_plugin_manager

        get_plugin_manager()  # registering backends registers their settings sections

    def _check_known(self, key: str, source: str) -> None:
        self._ensure_plugin_defaults()
        if key not in self._defaults:
            section = key.split(".")[0]
            known = sorted(k for k in self._defaults if k.startswith(section + ".")) or sorted(self._defaults)
            raise SettingsError(f"unknown setting {key!r} (from {source}); known: {', '.join(known)}", field=key)

    def _convert(self, key: str, value: Any, source: str) -> Any:
        self._check_known(key, source)
        default = self._defaults[key]
        try:
            return _coerce(value, default)
        except (TypeError, ValueError):
            raise SettingsError(
                f"setting {key!r} from {source} must be {type(default).__name__}, got {value!r}", field=key
            ) from None


def normalize_keys(values: Mapping[str, Any]) -> dict[str, Any]:
    """Accept ``section__key=...``, ``"section.key"`` and ``section={...}`` forms."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Mapping):
            for sub, subvalue in value.items():
                out[f"{key}.{sub}"] = subvalue
        else:
            out[key.replace("__", ".")] = value
    return out


def _coerce(value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return value.strip().lower() in ("1", "true", "yes", "on")
        raise ValueError(value)
    if isinstance(default, int):
        if isinstance(value, bool):
            raise TypeError(value)
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        return int(value)
    if isinstance(default, float):
        if isinstance(value, bool):
            raise TypeError(value)
        return float(value)
    if isinstance(default, (list, tuple)):
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        if isinstance(value, (list, tuple)):
            return list(value)
        raise TypeError(value)
    if isinstance(default, dict):
        if not isinstance(value, Mapping):
            raise TypeError(value)
        return dict(value)
    if default is None or isinstance(default, str):
        if not isinstance(value, str):
            raise TypeError(value)
        return value
    return value


#: path -> (file bytes, flattened table): a file is parsed again only when its bytes change.
_toml_cache: dict[str, tuple[bytes, dict[str, Any]]] = {}


def _read_toml(path: str | Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            text = f.read()
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        return {}
    cached = _toml_cache.get(str(path))
    if cached is not None and cached[0] == text:
        return dict(cached[1])
    out = _parse_toml(Path(path), text)
    _toml_cache[str(path)] = (text, out)
    return dict(out)


def _parse_toml(path: Path, text: bytes) -> dict[str, Any]:
    try:
        data = tomllib.loads(text.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"settings file {path} is not valid TOML: {exc}", field=str(path)) from None
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            for sub, subvalue in value.items():
                out[f"{key}.{sub}"] = subvalue
        else:
            out[key] = value
    return out


def _read_environment() -> dict[str, str]:
    out = {}
    for name, value in os.environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        rest = name[len(ENV_PREFIX) :]
        if rest in _NOT_SETTINGS or rest.startswith("TEST_"):
            continue
        out[rest.lower().replace("__", ".")] = value
    return out


#: The process-wide settings.
settings = Settings()
