"""Layered settings (DESIGN.md section 5); later layers win.

defaults < user file (``~/.config/podpac_exec/config.toml``) < project file (``./podpac_exec.toml``)
< environment (``PODPAC_EXEC_<SECTION>__<KEY>``) < :meth:`Settings.override` < call arguments.

Keys are ``"backend"`` or ``"section.key"``. Types follow the defaults: environment strings are
converted to the declared type and range-checked (:mod:`podpac_exec.settings_schema`) in every
layer. Cloud credentials never live here: each backend's client library finds its own.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Hashable, Iterable, Iterator, Mapping, TypeVar

from podpac_exec.errors import SettingsError
from podpac_exec.plugins.manager import get_plugin_manager, plugin_generation
from podpac_exec.plugins.records import collect_backend_specs
from podpac_exec.settings_schema import ENV_PREFIX, SettingSpec, as_spec, check_value, env_name

T = TypeVar("T")

#: snapshots kept for reuse by calls with the same files, environment, overrides and arguments
RECENT_SNAPSHOTS = 8

_NOT_SETTINGS = {"DISABLE_PLUGIN_AUTOLOAD", "TEST_REAL_AWS"}

DEFAULTS: dict[str, SettingSpec] = {
    "backend": SettingSpec("local", doc="the backend `evaluate()` uses (`podpac-exec backends` lists them)"),
    "tiling.max_tile_bytes": SettingSpec(
        64 * 2**20, minimum=8, doc="largest result of one tile in bytes (8: one cell); larger requests are split"
    ),
    "tiling.min_tiles": SettingSpec(
        1, minimum=1, maximum=2**20, doc="split every request into at least this many tiles (for parallelism)"
    ),
    "tiling.progress": SettingSpec(
        "auto",
        choices=("auto", "on", "off"),
        aliases={"true": "on", "yes": "on", "1": "on", "false": "off", "no": "off", "0": "off"},
        doc="tiles done on stderr: `auto` a bar on a terminal or notebook, else a plain line every 5 s "
        "(runs shorter than that print nothing); `on` also a last line for short runs; `off` nothing",
    ),
    "limits.max_cells": SettingSpec(2**32, minimum=1, doc="largest request, in cells"),
    "limits.max_tile_cells": SettingSpec(2**27, minimum=1, doc="most cells one tile evaluates (halo included)"),
    "limits.max_nodes": SettingSpec(1000, minimum=1, doc="most nodes in one pipeline"),
    "limits.max_depth": SettingSpec(100, minimum=1, doc="deepest chain of inputs in one pipeline"),
    "limits.max_pipeline_bytes": SettingSpec(16 * 2**20, minimum=2, doc="largest pipeline JSON, in bytes"),
    "limits.max_kernel_cells": SettingSpec(2**16, minimum=1, doc="largest convolution kernel, in cells"),
    "limits.max_array_cells": SettingSpec(2**24, minimum=1, doc="largest inline `Array` source, in cells"),
    "sources.allowed_schemes": SettingSpec(["file", "s3"], doc="URL schemes data sources may read"),
    "sources.allowed_buckets": SettingSpec([], doc="`bucket` or `bucket/prefix` sources may read; empty: any"),
    "sources.allow_local_paths": SettingSpec(True, doc="whether sources may read local files"),
    "sources.local_roots": SettingSpec([], doc="directories local sources must lie under; empty: any"),
    "sources.chunk_cache_bytes": SettingSpec(
        256 * 2**20, minimum=0, doc="bytes of zarr chunks kept in memory per process, shared by the tiles of a request"
    ),
    "sources.allow_internal_addresses": SettingSpec(
        True, doc="whether http(s) sources may name loopback or private IP addresses"
    ),
    "dask.scheduler_address": SettingSpec(
        "", doc="`tcp://host:port` of a dask scheduler for batch jobs; empty: a local cluster"
    ),
    "retry.max_attempts": SettingSpec(5, minimum=1, maximum=100, doc="tries of one tile call, the first included"),
    "retry.base_delay_s": SettingSpec(0.2, minimum=0, maximum=3600, doc="first backoff delay, in seconds"),
    "retry.max_delay_s": SettingSpec(10.0, minimum=0, maximum=3600, doc="longest backoff delay, in seconds"),
    "adaptive.split_on_limit": SettingSpec(
        True, doc="split a tile that ran out of memory or time in two and run the parts (down to `adaptive.min_tile_cells`)"
    ),
    "adaptive.min_tile_cells": SettingSpec(
        1, minimum=1, doc="the split floor: a tile of this many output cells that hits a limit is reported, not split"
    ),
    "concurrency.adaptive": SettingSpec(
        True, doc="AIMD control of calls in flight (remote backends): +`increase` per success, "
        "x`decrease` on a throttle; the backend's concurrency stays the ceiling"
    ),
    "concurrency.initial": SettingSpec(0, minimum=0, doc="calls in flight at the start; 0: the ceiling"),
    "concurrency.increase": SettingSpec(1.0, minimum=0, maximum=1000, doc="calls added to the window per success"),
    "concurrency.decrease": SettingSpec(
        0.7, minimum=0.05, maximum=1, doc="factor applied to the window on a throttle (once per round; 0.7 as CUBIC)"
    ),
    "concurrency.max_throttle_retries": SettingSpec(
        30, minimum=0, maximum=1000, doc="throttled tries of one call before it fails (besides `retry.max_attempts`)"
    ),
    "stragglers.enabled": SettingSpec(True, doc="start a backup of a tile that runs far longer than the others"),
    "stragglers.min_done_fraction": SettingSpec(
        0.9, minimum=0, maximum=1, doc="fraction of tiles done before stragglers get backups"
    ),
    "stragglers.factor": SettingSpec(
        3.0, minimum=1, doc="a straggler has run longer than this many times the median tile duration"
    ),
    "stragglers.min_seconds": SettingSpec(1.0, minimum=0, doc="and longer than this many seconds"),
    "stragglers.max_backups": SettingSpec(16, minimum=0, maximum=10000, doc="most backups in one run"),
    "serve.min_zoom": SettingSpec(0, minimum=0, maximum=30, doc="lowest zoom level `podpac-exec serve` answers tiles for"),
    "serve.max_zoom": SettingSpec(22, minimum=0, maximum=30, doc="highest zoom level `podpac-exec serve` answers tiles for"),
    "serve.max_tile_size": SettingSpec(
        512, minimum=16, maximum=4096, doc="largest `tilesize` (pixels per side) of a served tile"
    ),
    "serve.max_image_size": SettingSpec(
        4096, minimum=16, maximum=65536, doc="largest WMS/WCS `WIDTH` or `HEIGHT`, in pixels"
    ),
    "serve.max_request_cells": SettingSpec(
        2**22, minimum=1, doc="most cells one served request (tile, map, coverage) evaluates"
    ),
    "serve.cache_memory_bytes": SettingSpec(
        256 * 2**20, minimum=0, doc="memory LRU of encoded tiles, in bytes (0: no memory cache)"
    ),
    "serve.inline_render_ms": SettingSpec(
        5.0, minimum=0, doc="a map tile of a pipeline whose recent tiles took under this many milliseconds of CPU "
        "(and waited on no I/O) renders on the server's event loop, not a worker thread (0: always a worker thread)"
    ),
    "serve.cache_dir": SettingSpec("", doc="directory that also keeps encoded tiles across restarts; empty: none"),
    "serve.cache_s3": SettingSpec(
        "", doc="`s3://bucket/prefix` that also keeps encoded tiles, shared by servers and Lambda containers; empty: none"
    ),
    "serve.pipelines": SettingSpec(
        [], doc="what a Lambda function serves over HTTP: `NAME=s3://bucket/key.json` entries (`aws build --serve`)"
    ),
    "serve.api_token": SettingSpec(
        "", doc="API key every served request must carry (`X-API-Key` header, `api_key` query or cookie); empty: none"
    ),
}

#: Names that look like secrets are masked by ``config show`` and never written to payloads.
SECRET_PATTERN = re.compile(r"secret|password|passwd|token|credential|private|access_key|session_key", re.I)

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
        self._public: dict[str, Any] | None = None
        self._derived: dict[Hashable, Any] = {}

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

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_derived": {}}  # what was derived (a backend and its clients) stays here

    def derived(self, key: Hashable, make: Callable[[], T]) -> T:
        """``make()``, once per snapshot under ``key``: what follows from these settings alone
        (the backend instance they configure), asked on every call of a long-lived snapshot."""
        try:
            return self._derived[key]
        except KeyError:
            value = self._derived[key] = make()
            return value

    def records(self) -> list[SettingValue]:
        return [self._values[k] for k in sorted(self._values)]

    def public(self) -> dict[str, Any]:
        """Every non-secret value: what may travel in a payload."""
        if self._public is None:  # asked once per tile of a remote call: computed once
            self._public = {k: v.value for k, v in self._values.items() if not v.is_secret}
        return dict(self._public)


class Settings:
    """The process-wide settings object; see the module docstring for the layers."""

    def __init__(self) -> None:
        self._declared: dict[str, SettingSpec] = dict(DEFAULTS)  # the core's and register_sections'
        self._specs: dict[str, SettingSpec] = dict(DEFAULTS)  # the above plus the current plugins'
        self._default_layer: dict[str, SettingValue] | None = None
        self._plugins_seen = -1
        #: snapshot inputs -> (the default layer they were read over, the snapshot); newest last
        self._recent: dict[Hashable, tuple[dict[str, SettingValue], EffectiveSettings]] = {}
        self._recent_lock = threading.Lock()
        self._overrides: contextvars.ContextVar[tuple[dict[str, Any], ...]] = contextvars.ContextVar(
            "podpac_exec_overrides", default=()
        )
        #: the settings of the call running in this context (see :meth:`use`), and how many
        #: override layers were entered before it
        self._active: contextvars.ContextVar[tuple[EffectiveSettings, int] | None] = contextvars.ContextVar(
            "podpac_exec_active", default=None
        )

    # -- registration ---------------------------------------------------------------------------

    def register_sections(self, sections: Mapping[str, Mapping[str, Any]]) -> None:
        """Declare sections (``name -> key -> SettingSpec or default``); all are checked first,
        so a conflict changes nothing."""
        new = _merge_sections(self._specs, sections)
        self._declared.update(new)
        self._specs.update(new)
        self._default_layer = None

    def unregister_sections(self, names: Iterable[str]) -> None:
        """Forget sections declared with :meth:`register_sections` (tests, unloaded plugins)."""
        prefixes = tuple(f"{name}." for name in names)
        for table in (self._declared, self._specs):
            for key in [k for k in table if k.startswith(prefixes) and k not in DEFAULTS]:
                del table[key]
        self._default_layer = None

    def specs(self) -> dict[str, SettingSpec]:
        """Every declared setting and what it may hold."""
        self._ensure_plugin_defaults()
        return dict(self._specs)

    @property
    def user_file(self) -> Path:
        return Path(self._user_path())

    @property
    def project_file(self) -> Path:
        return Path(self._project_path())

    # plain strings: snapshot() runs on every evaluate() and pathlib is slow for this
    def _user_path(self) -> str:
        home = os.path.expanduser("~")
        base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home if home != "~" else str(Path.home()), ".config")
        return os.path.join(base, "podpac_exec", "config.toml")

    def _project_path(self) -> str:
        return os.path.join(os.getcwd(), "podpac_exec.toml")

    # -- reading ----------------------------------------------------------------------------------

    def snapshot(self, arguments: Mapping[str, Any] | None = None) -> EffectiveSettings:
        """Resolve every layer now; ``arguments`` is the per-call layer.

        Inside :meth:`use` nothing is resolved again: the answer is the call's settings, with
        the overrides entered since and ``arguments`` on top.
        """
        active = self._active.get()
        if active is not None:
            base, depth = active
            later = self._overrides.get()[depth:]
            if not later and not arguments:
                return base
            return self._layered(dict(base._values), later, arguments)
        self._ensure_plugin_defaults()
        defaults = self._default_layer
        if defaults is None:
            defaults = self._default_layer = {k: SettingValue(k, v.default, "default") for k, v in self._specs.items()}
        files = [(layer, path, _file_bytes(path)) for layer, path in
                 (("user file", self._user_path()), ("project file", self._project_path()))]
        environment = _read_environment()
        overrides = self._overrides.get()
        # the same inputs give the same snapshot: reuse it, and what it derived (the backend)
        key = _frozen((id(defaults), [(path, text) for _, path, text in files], environment, overrides, arguments))
        recent = self._recent.get(key) if key is not None else None
        if recent is not None and recent[0] is defaults:
            return recent[1]
        values = dict(defaults)
        for layer, path, text in files:
            table = _parse_toml_cached(path, text)
            source = str(Path(path)) if table else ""
            for name, value in table.items():
                values[name] = SettingValue(name, self._convert(name, value, f"{layer} {source}"), layer, source)
        for name, value in environment.items():
            variable = env_name(name)
            values[name] = SettingValue(name, self._convert(name, value, f"environment {variable}"), "environment", variable)
        effective = self._layered(values, overrides, arguments)
        if key is not None:
            with self._recent_lock:  # calls on several threads
                self._recent[key] = (defaults, effective)
                while len(self._recent) > RECENT_SNAPSHOTS:
                    self._recent.pop(next(iter(self._recent)))
        return effective

    def _layered(
        self, values: dict[str, SettingValue], overrides: Iterable[Mapping[str, Any]], arguments: Mapping[str, Any] | None
    ) -> EffectiveSettings:
        """``values`` with the override layers and then the call's ``arguments`` on top."""
        for layer_values in overrides:
            for key, value in layer_values.items():
                values[key] = SettingValue(key, self._convert(key, value, "override"), "override")
        for key, value in normalize_keys(arguments or {}).items():
            values[key] = SettingValue(key, self._convert(key, value, "argument"), "argument")
        return EffectiveSettings(values)

    @contextlib.contextmanager
    def use(self, effective: EffectiveSettings) -> Iterator[EffectiveSettings]:
        """Run the block with ``effective`` as the settings: one call's, resolved once.

        :meth:`snapshot` and :meth:`get` answer from it (no files or environment read again), so
        everything the call runs (pipeline loading, the nodes' limits, the sources' policy) sees
        the call's own settings, its arguments included. Nests; per thread/task like ``override``.
        """
        token = self._active.set((effective, len(self._overrides.get())))
        try:
            yield effective
        finally:
            self._active.reset(token)

    def get(self, key: str) -> Any:
        return self.snapshot()[key]

    def known_keys(self) -> frozenset[str]:
        """Every declared setting key (defaults of the core and of registered backends)."""
        self._ensure_plugin_defaults()
        return frozenset(self._specs)

    def __getitem__(self, key: str) -> Any:
        return self.get(key)

    @contextlib.contextmanager
    def override(self, **values: Any) -> Iterator[None]:
        """Temporarily set values, e.g. ``override(backend="local", tiling__max_tile_bytes=2**20)``
        or ``override(local={"max_workers": 2})``; nests, and is per thread/task."""
        layer = normalize_keys(values)
        for key, value in layer.items():
            self._convert(key, value, "override")  # a bad value fails here, not at some later snapshot
        token = self._overrides.set(self._overrides.get() + (layer,))
        try:
            yield
        finally:
            self._overrides.reset(token)

    # -- internals ------------------------------------------------------------------------------

    def _ensure_plugin_defaults(self) -> None:
        """Declare the settings sections of the registered backends (again when plugins change)."""
        pm = get_plugin_manager()
        generation = plugin_generation()
        if generation != self._plugins_seen:
            # rebuilt from the declared ones, so an uninstalled plugin's settings go with it
            backends = collect_backend_specs(pm)
            plugin = _merge_sections(self._declared, {spec.name: spec.settings for spec in backends.values()})
            self._specs = {**self._declared, **plugin}
            self._default_layer = None
            self._plugins_seen = generation

    def _check_known(self, key: str, source: str) -> None:
        self._ensure_plugin_defaults()
        if key not in self._specs:
            section = key.split(".")[0]
            known = sorted(k for k in self._specs if k.startswith(section + ".")) or sorted(self._specs)
            raise SettingsError(f"unknown setting {key!r} (from {source}); known: {', '.join(known)}", field=key)

    def _convert(self, key: str, value: Any, source: str) -> Any:
        self._check_known(key, source)
        try:
            return check_value(self._specs[key], value)
        except ValueError as exc:
            raise SettingsError(f"setting {key!r} from {source} {exc}", field=key) from None


def _merge_sections(known: Mapping[str, SettingSpec], sections: Mapping[str, Mapping[str, Any]]) -> dict[str, SettingSpec]:
    """The specs ``sections`` declare, checked against ``known`` and each other."""
    new: dict[str, SettingSpec] = {}
    for section, keys in sections.items():
        for key, value in keys.items():
            full, spec = f"{section}.{key}", as_spec(value)
            seen = known.get(full) or new.get(full)
            if seen is not None and seen != spec:
                raise SettingsError(f"setting {full!r} is declared twice, differently", field=full)
            new[full] = spec
    return new


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


#: path -> (file bytes, flattened table): a file is parsed again only when its bytes change.
_toml_cache: dict[str, tuple[bytes, dict[str, Any]]] = {}


def _read_toml(path: str | Path) -> dict[str, Any]:
    return _parse_toml_cached(str(path), _file_bytes(str(path)))


def _file_bytes(path: str) -> bytes | None:
    """The file's bytes; None when there is no readable file."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
        return None


_SCALARS = frozenset({str, bytes, bool, int, float, type(None)})


def _frozen(value: Any) -> Hashable | None:
    """A hashable copy of plain data (dicts, lists, scalars); None for anything else."""
    kind = type(value)
    if kind in _SCALARS:
        return (kind, value)
    if kind is dict or isinstance(value, Mapping):
        items = [(k, _frozen(v)) for k, v in value.items()]
        return None if any(v is None for _, v in items) else ("map", tuple(items))
    if isinstance(value, (list, tuple)):
        parts = [_frozen(v) for v in value]
        return None if any(p is None for p in parts) else (type(value), tuple(parts))
    return None


def _parse_toml_cached(path: str, text: bytes | None) -> dict[str, Any]:
    if text is None:
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


def _prefixed_environment() -> Iterator[tuple[str, str]]:
    """The environment variables named ``PODPAC_EXEC_*``.

    Read from ``os.environ``'s own (encoded) mapping where it has one: decoding every variable
    of the process on every ``evaluate()`` was half of a small call's settings time."""
    data = getattr(os.environ, "_data", None)
    if isinstance(data, dict) and data and isinstance(next(iter(data)), bytes):
        prefix = os.fsencode(ENV_PREFIX)
        for name, value in list(data.items()):
            if name.startswith(prefix):
                yield os.fsdecode(name), os.fsdecode(value)
        return
    for name, value in os.environ.items():
        if name.startswith(ENV_PREFIX):
            yield name, value


def _read_environment() -> dict[str, str]:
    out = {}
    for name, value in _prefixed_environment():
        rest = name[len(ENV_PREFIX) :]
        if rest in _NOT_SETTINGS or rest.startswith("TEST_"):
            continue
        out[rest.lower().replace("__", ".")] = value
    return out


#: The process-wide settings.
settings = Settings()
