"""Run the app under uvicorn: in the foreground (the CLI) or in a thread (tests, benchmarks).

Port 0 picks a free port; the URL printed or returned is the one actually bound, and it is all
that goes to stdout (logs, the access log included, go to stderr). The access log is
:class:`~podpac_exec.serve.access_log.AccessLog`'s, not uvicorn's: it never shows an API key
given in a query string.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from podpac_exec.serve.access_log import AccessLog

LOCALHOST = "127.0.0.1"


def make_server(app: Any, host: str = LOCALHOST, port: int = 0, access_log: bool = True, **options: Any) -> Any:
    """A uvicorn server of ``app`` (an ASGI app, or an import string with ``options`` such as
    ``factory=True``, whose factory adds the access log itself), not yet started."""
    import uvicorn

    if access_log and not isinstance(app, str):
        app = AccessLog(app)
    config = uvicorn.Config(app, host=host, port=port, access_log=False, log_level="info", lifespan="off",
                            log_config=log_config(), **options)
    return uvicorn.Server(config)


def log_config() -> dict[str, Any]:
    """uvicorn's logging, on stderr (its access log, unused, as well): stdout carries only the
    URL, so a caller that reads that line and no more does not stop the server once the pipe fills."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["handlers"]["access"]["stream"] = "ext://sys.stderr"
    return config


def bound_url(server: Any) -> str:
    """``http://host:port`` of a started server (the real port when 0 was asked)."""
    sock = server.servers[0].sockets[0]
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}"


def serve_forever(app: Any, host: str, port: int, on_started: Callable[[str], None]) -> None:
    """Run until interrupted, calling ``on_started(url)`` once listening."""
    import asyncio

    server = make_server(app, host, port)

    async def main() -> None:
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                await task  # startup failed: its error
                return
            await asyncio.sleep(0.02)
        on_started(bound_url(server))
        await task

    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        runner.run(main())


def loop_factory() -> Callable[[], Any] | None:
    """uvloop's event loop when it is installed (the serve extra has it but on Windows), as
    ``uvicorn.run`` picks it; asyncio's otherwise."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


class ServerThread:
    """``with ServerThread(app) as url:`` a real uvicorn server on 127.0.0.1:0 in a thread."""

    def __init__(self, app: Any, host: str = LOCALHOST, access_log: bool = False) -> None:
        self.server = make_server(app, host, 0, access_log=access_log)
        self.server.install_signal_handlers = lambda: None  # not the main thread
        self.thread = threading.Thread(target=self.server.run, name="podpac-exec-serve", daemon=True)
        self.url = ""

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        self.url = bound_url(self.server)
        return self.url

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
