"""Backends: the base class, the planner's limits, and resolution of a name to an instance."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Hashable, Mapping

from podpac_exec.errors import BackendUnavailableError, UnknownBackendError
from podpac_exec.plugins.manager import get_plugin_manager, plugin_generation
from podpac_exec.plugins.records import BackendSpec, collect_backend_specs

__all__ = ["Backend", "BackendLimits", "BackendSpec", "EvaluationOptions", "get_backend", "get_backend_specs"]

if TYPE_CHECKING:
    import pluggy
    import xarray as xr

    from podpac_exec.coordinates import Coordinates
    from podpac_exec.nodes.base import Node
    from podpac_exec.settings import EffectiveSettings
    from podpac_exec.engine.estimate import PlanFigures
    from podpac_exec.engine.stats import EvaluationStats


@dataclass(frozen=True)
class BackendLimits:
    """What the tile planner and the batch scheduler must respect for a backend."""

    max_result_bytes: int
    concurrency: int = 1
    #: tiles burn this process's CPU (one thread per batch worker) rather than wait on a service
    cpu_bound: bool = False
    max_request_cells: int | None = None
    #: encoded bytes per raw result byte (base64 in a JSON response is 4/3)
    encoding_overhead: float = 1.0
    #: most new concurrent calls the platform allows per second (the AIMD window grows no faster)
    scale_up_per_s: float | None = None


@dataclass
class EvaluationOptions:
    """Per-evaluation context handed to ``podpac_exec_evaluate_node``."""

    settings: "EffectiveSettings"
    stats: "EvaluationStats"
    tile: Any = None
    #: the adaptive fan-out's AIMD window (``engine.concurrency.FanoutControl``); None elsewhere
    control: Any = None


class Backend(ABC):
    """An execution backend. Instances are thread-safe and cached per :meth:`instance_key`.

    An instance holds only ``config``, its own settings section, which is part of its identity;
    everything else a call needs (retries, limits, tiling) comes from that call's
    ``options.settings``, so one instance serves calls with different settings correctly.
    """

    name: ClassVar[str] = ""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = dict(config)

    @classmethod
    def instance_key(cls, config: Mapping[str, Any]) -> Hashable:
        """What decides whether a cached instance can serve a call: by default its settings
        section; a backend whose clients depend on the environment adds that too."""
        return repr(sorted(config.items()))

    @abstractmethod
    def limits(self) -> BackendLimits:
        """The budget of one call: result bytes and parallelism."""

    @abstractmethod
    def evaluate(self, node: "Node", coordinates: "Coordinates", options: EvaluationOptions) -> "xr.DataArray":
        """Evaluate one tile; raise :class:`~podpac_exec.errors.PodpacExecError` subclasses on failure.

        Only the result's dims and values are used (the executor puts them on the request's
        coordinates), so it may have no coordinates: ``engine.dispatch.result_array(values, dims)``.
        """

    def report(self, stats: "EvaluationStats") -> dict[str, Any]:
        """Backend-specific figures for a finished evaluation (e.g. invocations and cost).

        A ``"summary"`` entry, when present, is the one line the CLI prints for people.
        """
        return {}

    def close(self) -> None:
        """Release clients, pools and processes."""

    # -- what the adaptive fan-out asks (engine.adaptive_run, engine.estimate) -------------------

    def before_run(self, options: EvaluationOptions) -> None:
        """Called once per ``evaluate()`` before any tile runs; raise to refuse the run (e.g. a
        remote side that does not match this client)."""

    def failure_kind(self, exc: BaseException) -> str | None:
        """What a tile's failure means for the fan-out: ``"memory"`` or ``"time"`` (a limit: the
        tile is split), ``"throttle"`` (the service wants fewer calls at once), or None."""
        return "memory" if isinstance(exc, MemoryError) else None

    def estimate(self, figures: "PlanFigures", calibration: "EvaluationStats | None") -> dict[str, Any] | None:
        """The expected cost of a plan: ``{"cost_usd": ..., "basis": ..., ...}`` (more keys are
        printed as they are); ``"lower_bound": True`` when only a floor is known and a one-tile
        ``calibration`` run (its statistics) would tell more. None: this backend costs nothing."""
        return None

    def cost_usd(self, stats: "EvaluationStats") -> float | None:
        """What the calls recorded in ``stats`` cost so far; None when unknown or free."""
        return None

    def max_cost_usd(self) -> float | None:
        """The cap on one run's cost (a backend setting), or None."""
        return None


def get_backend_specs() -> dict[str, BackendSpec]:
    """Every registered backend by name; duplicate names raise ``PluginError`` naming both."""
    return collect_backend_specs(get_plugin_manager())


_instances: dict[tuple[str, Hashable], Backend] = {}
_instances_lock = threading.Lock()


def get_backend(name: str, effective: "EffectiveSettings") -> Backend:
    """The backend called ``name``, configured by ``effective`` (instances are reused; a
    snapshot asked again, as a server's is per tile or the same settings' are per call, finds
    the class without looking again until a plugin is registered or removed)."""
    get_plugin_manager()  # (re)built first: a reset manager counts as a new generation
    cls, config, key = effective.derived(("backend", name, plugin_generation()), lambda: _backend_class(name, effective))
    if key is None:  # the class keys its instances on more than the settings (its environment)
        key = (name, cls.instance_key(config))
    with _instances_lock:
        backend = _instances.get(key)
        if backend is None:
            backend = _instances[key] = cls(config)
    return backend


def _backend_class(name: str, effective: "EffectiveSettings") -> tuple[type[Backend], dict[str, Any], Hashable | None]:
    """The class of backend ``name``, its settings section, and its instance key when the
    settings alone decide it (None when the class overrides :meth:`Backend.instance_key`)."""
    specs = get_backend_specs()
    spec = specs.get(name)
    if spec is None:
        installed = ", ".join(sorted(specs)) or "none"
        raise UnknownBackendError(f"unknown backend {name!r}; installed backends: {installed}", field="backend")
    missing = spec.missing_requirements()
    if missing:
        hint = f": pip install 'podpac-exec[{spec.extra}]'" if spec.extra else ""
        raise BackendUnavailableError(
            f"backend {name!r} needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
            f"not installed{hint}",
            field="backend",
        )
    cls = spec.load_class()
    config = effective.section(name)
    settings_only = getattr(cls.instance_key, "__func__", None) is Backend.instance_key.__func__
    return cls, config, (name, cls.instance_key(config)) if settings_only else None
