"""The emulator's WSGI layer in front of moto's server app, and the server process entry point.

``python -m podpac_exec.backends.aws_lambda.emulator.server --port 0`` binds 127.0.0.1, prints
``EMULATOR_READY port=N pid=P`` on stdout, then serves until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from . import admin, limits, moto_bridge, s3_ranges
from .s3_events import RequestFacts, S3Notifier
from .config import Settings
from .errors import AwsError
from .faults import FaultInjector, Faults
from .function_urls import URL_CONFIG_PATH, FunctionUrls
from .invoke import Invoker
from .pool import Pool
from .procs import group_members

READY_PREFIX = "EMULATOR_READY"
INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
CONTROL_PATHS = (
    ("POST", re.compile(r"^/2015-03-31/functions/?$"), "CreateFunction"),
    ("PUT", re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/code/?$"), "UpdateFunctionCode"),
    ("PUT", re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/configuration/?$"), "UpdateFunctionConfiguration"),
    ("POST", re.compile(r"^/2018-10-31/layers/(?P<name>[^/]+)/versions/?$"), "PublishLayerVersion"),
)
PREWARMED_SERVICES = ("lambda", "s3", "iam", "sts", "logs")

StartResponse = Callable[..., Any]


def read_body(environ: dict[str, Any]) -> bytes:
    """The whole request body; ``wsgi.input`` is replaced so moto can read it again."""
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length:
        data = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        data = stream.read()
    else:
        data = b""
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))
    return data


class EmulatorApp:
    """Answers Lambda Invoke and the emulator's admin API; checks Lambda quotas; passes the rest to moto."""

    def __init__(self, settings: Settings, endpoint_url: str = "") -> None:
        self.initial = settings
        self.settings = settings
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.faults = FaultInjector()
        self.pool = Pool(
            lambda: self.settings.idle_timeout_s,
            lambda: self.settings.account_concurrency,
            lambda: self.settings.cold_start_concurrency,
        )
        self.invoker = Invoker(self.pool, self.faults, Path(settings.state_dir), Path(settings.cache_dir), endpoint_url)
        self.notifier = S3Notifier(self.invoker.background)
        self.function_urls = FunctionUrls(self.invoker)
        moto_bridge.install_s3_hook()
        s3_ranges.install()

    def prewarm(self) -> None:
        """Create moto's per-service apps and the runtime packages ahead of the first requests."""
        for service in PREWARMED_SERVICES:
            with self.moto.lock:
                if service not in self.moto.app_instances:
                    self.moto.app_instances[service] = create_backend_app(service)  # type: ignore[arg-type]
        self.invoker.runtime_packages()

    def reset(self) -> None:
        """Back to the state after start: no resources, containers, faults or pending events; initial settings."""
        self.pool.stop_all()
        self.invoker.clear_shared_dir()  # what containers unpacked goes with them
        self.function_urls.stop_all()
        self.invoker.background.reset()
        self.faults.set(Faults())
        self.settings = self.initial
        moto_bridge.reset()

    def status(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "pgid": os.getpgid(0),
            "endpoint_url": self.invoker.endpoint_url,
            "settings": self.settings.as_dict(),
            "faults": self.faults.faults.as_dict(),
            "containers": len(self.pool.snapshot()),
            "cold_start_waits": self.pool.cold_start_waits,
        }

    def close(self) -> None:
        self.function_urls.stop_all()
        self.pool.stop_all(closing=True)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            if path.startswith("/_emulator/"):
                answer = admin.handle(self, method, path[len("/_emulator/") :], environ, read_body(environ))
                return self._respond(start_response, *answer)
            if moto_bridge.signing_service(environ) in ("lambda", None):
                m = INVOKE_PATH.match(path)
                if m and method == "POST":
                    qualifier = parse_qs(environ.get("QUERY_STRING", "")).get("Qualifier", [None])[0]
                    body = read_body(environ)
                    return self._respond(
                        start_response, *self.invoker.handle(environ, body, unquote(m["name"]), qualifier)
                    )
                self._check_control(environ, method, path)
                m = URL_CONFIG_PATH.match(path)
                if m and method in ("GET", "POST", "PUT"):
                    return self._url_config(environ, start_response, unquote(m["name"]))
        except AwsError as e:
            return self._respond(start_response, e.status, e.response_headers(), e.body())
        return self._to_moto(environ, start_response)

    def _url_config(self, environ: dict[str, Any], start_response: StartResponse, name: str) -> Iterable[bytes]:
        """moto's answer to a function URL config call, with the URL that the emulator serves."""
        answer: list[Any] = []
        body = b"".join(self.moto(environ, lambda status, headers, exc_info=None: answer.append((status, headers))))
        status, headers = answer[-1]
        if status.startswith("2"):
            account, region = moto_bridge.identify(environ)
            body = self.function_urls.rewrite(account, region, name, body)
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        return self._respond(start_response, int(status.split()[0]), headers, body)

    def _to_moto(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Let moto answer; objects it created for a successful request get their S3 event notifications.

        They are queued before the answer goes out, so a caller's ``wait_async`` that follows sees them.
        """
        answer: list[tuple[str, list[tuple[str, str]]]] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer.append((status, headers))
            return start_response(status, headers, exc_info)

        with moto_bridge.s3_writes() as writes:
            body = self.moto(environ, capture)
        if writes and answer and answer[-1][0].startswith("2"):
            self.notifier.deliver(writes, RequestFacts.of(environ, answer[-1][1]))
        return body

    def _check_control(self, environ: dict[str, Any], method: str, path: str) -> None:
        """Apply Lambda's quotas to function and layer uploads before moto stores them."""
        for verb, pattern, operation in CONTROL_PATHS:
            m = pattern.match(path)
            if m and method == verb:
                body = read_body(environ)
                try:
                    doc = json.loads(body) if body.strip() else {}
                except ValueError:
                    return  # moto answers malformed JSON itself
                account, region = moto_bridge.identify(environ)
                name = (
                    unquote(m["name"])
                    if "name" in m.groupdict() and operation != "PublishLayerVersion"
                    else doc.get("FunctionName")
                )
                limits.check_control_request(operation, len(body), doc, moto_bridge.CodeSource(account, region), name)
                return

    @staticmethod
    def _respond(
        start_response: StartResponse, status: int, headers: list[tuple[str, str]], body: bytes
    ) -> list[bytes]:
        reason = {
            200: "OK",
            202: "Accepted",
            204: "No Content",
            400: "Bad Request",
            404: "Not Found",
            413: "Request Entity Too Large",
            429: "Too Many Requests",
            500: "Internal Server Error",
            502: "Bad Gateway",
        }.get(status, "")
        start_response(f"{status} {reason}", [*headers, ("Content-Length", str(len(body)))])
        return [body]


class QuietRequestHandler(MotoRequestHandler):
    """No per-request log lines, and TCP_NODELAY so small answers are not held back by Nagle."""

    disable_nagle_algorithm = True

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def make_emulator_server(
    settings: Settings, host: str = "127.0.0.1", port: int = 0
) -> tuple[BaseWSGIServer, EmulatorApp]:
    """A bound, not yet serving, threaded server and its app."""
    app = EmulatorApp(settings)
    server = make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)
    app.invoker.endpoint_url = f"http://{host}:{server.server_port}"
    return server, app


def _watch_parent(parent_pid: int, server: BaseWSGIServer) -> None:
    """Stop serving when the process that started us is gone (no orphaned emulators)."""
    stop = threading.Event()
    while not stop.wait(1.0):
        if os.getppid() != parent_pid:
            server.shutdown()
            return


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="offline AWS emulator (moto + Lambda invoke)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--idle-timeout-s", type=float, default=Settings.idle_timeout_s)
    p.add_argument("--account-concurrency", type=int, default=Settings.account_concurrency)
    p.add_argument("--cold-start-concurrency", type=int, default=0, help="cold starts at once (default: one per CPU)")
    p.add_argument("--state-dir", default="")
    p.add_argument("--cache-dir", default="")
    p.add_argument("--log-file", default="", help="where the server's own output goes after the ready line")
    p.add_argument("--parent-pid", type=int, default=0, help="stop when this process is no longer our parent")
    p.add_argument("--remove-state-dir", action="store_true", help="remove --state-dir at exit (a temporary one)")
    return p.parse_args(argv)


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from the command line; without ``--state-dir`` a temporary one (removed at exit)."""
    state_dir = args.state_dir or tempfile.mkdtemp(prefix="podpac-exec-emulator-")
    kwargs: dict[str, Any] = {
        "idle_timeout_s": args.idle_timeout_s,
        "account_concurrency": args.account_concurrency,
        "state_dir": state_dir,
    }
    if args.cache_dir:
        kwargs["cache_dir"] = args.cache_dir
    if args.cold_start_concurrency > 0:
        kwargs["cold_start_concurrency"] = args.cold_start_concurrency
    return Settings(**kwargs)


def serve(
    server: BaseWSGIServer, app: EmulatorApp, settings: Settings, *, remove_state_dir: bool, parent_pid: int = 0
) -> int:
    """Serve until SIGTERM, Ctrl-C or the parent's exit; then stop every container."""
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    # Ctrl-C stops it even when started from a shell that ignores SIGINT for background jobs
    # (Python keeps an inherited SIG_IGN instead of raising KeyboardInterrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if parent_pid:
        threading.Thread(target=_watch_parent, args=(parent_pid, server), daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        app.close()
        server.server_close()
        if remove_state_dir:
            shutil.rmtree(settings.state_dir, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = settings_from(args)
    server, app = make_emulator_server(settings, args.host, args.port)
    app.prewarm()
    print(f"{READY_PREFIX} port={server.server_port} pid={os.getpid()}", flush=True)
    if args.log_file:
        fd = os.open(args.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    try:
        remove = args.remove_state_dir or not args.state_dir
        return serve(server, app, settings, remove_state_dir=remove, parent_pid=args.parent_pid)
    finally:
        if args.parent_pid and os.getpgid(0) == os.getpid():
            # Started by ``Emulator`` as a group leader: anything a handler left behind goes too.
            for pid in group_members(os.getpid()):
                if pid != os.getpid():
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main())
