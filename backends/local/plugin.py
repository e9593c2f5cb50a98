"""The local backend's plugin: its registration record and settings."""

from __future__ import annotations

from podpac_exec.plugins.backends import BackendSpec
from podpac_exec.plugins.manager import hookimpl
from podpac_exec.settings_schema import SettingSpec

@hookimpl
def podpac_exec_register_backends() -> list[BackendSpec]:
    return [
        BackendSpec(
            name="local",
            backend_class="podpac_exec.backends.local.backend:LocalBackend",
            description="evaluates in this Python process (threads for tiles)",
            settings={
                "max_workers": SettingSpec(0, minimum=0, doc="threads for tiles; 0: one per CPU; 1: one thread in all (big array operations do not split onto a helper thread)"),
                "memory_budget_bytes": SettingSpec(
                    0, minimum=0, doc="result bytes per tile; 0: tiling.max_tile_bytes decides"
                ),
            },
        )
    ]
