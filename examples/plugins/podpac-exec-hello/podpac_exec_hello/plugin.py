"""Registers the ``hello.Ramp`` node and the ``podpac-exec hello`` command through podpac-exec's hooks."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import traitlets as tl

from podpac_exec.cli.exit_codes import EXIT_OK
from podpac_exec.nodes.base import Node
from podpac_exec.plugins.manager import hookimpl


class Ramp(Node):
    """``scale`` times the latitude plus the longitude: a node with one attr, evaluated pointwise."""

    podpac_name: ClassVar[str] = "hello.Ramp"

    scale = tl.Float(1.0).tag(attr=True)

    def _eval(self, coordinates: Any) -> np.ndarray:
        lat = coordinates["lat"].coordinates[:, None]
        lon = coordinates["lon"].coordinates[None, :]
        return self.scale * lat + lon


@hookimpl
def podpac_exec_register_nodes() -> list[type]:
    return [Ramp]


@hookimpl
def podpac_exec_add_commands(subparsers: Any) -> None:
    parser = subparsers.add_parser("hello", help="say hello from a plugin")
    parser.set_defaults(func=lambda args: print("hello from podpac-exec-hello") or EXIT_OK)
