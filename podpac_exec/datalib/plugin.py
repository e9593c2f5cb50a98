"""The datalib node plugin: registers its nodes and declares its settings."""

from __future__ import annotations

from podpac_exec.datalib.terraintiles import SETTINGS, TerrainTiles
from podpac_exec.plugins.manager import hookimpl
from podpac_exec.settings import settings

settings.register_sections({"terraintiles": SETTINGS})


@hookimpl
def podpac_exec_register_nodes() -> list[type]:
    return [TerrainTiles]
