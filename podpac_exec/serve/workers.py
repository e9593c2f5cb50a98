"""A server of its command-line arguments, in this process or in each of ``--workers`` processes.

Worker processes are uvicorn's (``uvicorn.supervisors.Multiprocess``: spawned, sharing one
listening socket, restarted when one dies). Each builds its own app from the same arguments,
handed down in the environment as JSON (pipeline files, backend, ``--set`` overrides: never a
secret, which ``serve`` refuses on its command line), and each keeps its own memory cache; a
``serve.cache_dir`` or ``serve.cache_s3`` store is shared.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from podpac_exec.serve.app import create_app
from podpac_exec.serve.config import ServeConfig
from podpac_exec.serve.context import ServeContext
from podpac_exec.serve.registry import Registry, load_pipeline
from podpac_exec.serve.access_log import AccessLog
from podpac_exec.serve.server import make_server

#: The arguments of the server a worker process builds (JSON of :class:`ServeArguments`).
ENVIRONMENT = "_PODPAC_EXEC_SERVE_WORKER"  # not PODPAC_EXEC_*: those are settings
WORKER_APP = "podpac_exec.serve.workers:worker_app"


@dataclass(frozen=True)
class ServeArguments:
    """What ``podpac-exec serve`` was asked to serve: ``NAME=PATH`` or ``PATH`` pipelines."""

    pipelines: Sequence[str]
    backend: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)

    def absolute(self) -> "ServeArguments":
        """The same with absolute pipeline paths (a worker may not share the working directory)."""
        out = []
        for argument in self.pipelines:
            name, sep, path = argument.partition("=")
            out.append(f"{name}={Path(path).resolve()}" if sep else str(Path(argument).resolve()))
        return ServeArguments(out, self.backend, dict(self.overrides))


def build_app(arguments: ServeArguments) -> Any:
    """The app of ``arguments``, every pipeline evaluated once (a bad one fails here, not at the first tile)."""
    config = ServeConfig.from_settings(arguments.backend, arguments.overrides)
    registry = Registry(load_pipeline(argument) for argument in arguments.pipelines)
    ctx = ServeContext(registry, config)
    ctx.prepare()
    return create_app(registry, context=ctx)


def worker_app() -> Any:
    """uvicorn's app factory in a worker process: the app of the arguments in :data:`ENVIRONMENT`, with the access log."""
    return AccessLog(build_app(ServeArguments(**json.loads(os.environ[ENVIRONMENT]))))


def serve_workers(
    arguments: ServeArguments, host: str, port: int, workers: int, on_started: Callable[[str], None]
) -> None:
    """Run ``workers`` processes serving ``arguments`` on one socket until interrupted, calling
    ``on_started(url)`` once the socket listens: connections made before the workers are up
    wait in its backlog."""
    from uvicorn.supervisors import Multiprocess

    os.environ[ENVIRONMENT] = json.dumps(asdict(arguments.absolute()))
    server = make_server(WORKER_APP, host, port, factory=True, workers=workers)
    sock = server.config.bind_socket()
    sock.listen(server.config.backlog)
    host, port = sock.getsockname()[:2]
    on_started(f"http://{host}:{port}")
    Multiprocess(server.config, sockets=[sock]).run()

