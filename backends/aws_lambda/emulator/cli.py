"""``podpac-exec emulator start``: the emulator server in the foreground, or in the background.

The port is checked (0..65535) and found free before anything is created; a failed start
leaves no state directory behind.
"""

from __future__ import annotations

import os
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from podpac_exec.errors import PodpacExecError

from .config import DUMMY_CREDENTIALS
from .errors import EmulatorError

#: The CLI's default port, so a second shell can find the emulator without being told (0: a free one).
DEFAULT_PORT = 4580
HOST = "127.0.0.1"
SERVER_MODULE = "podpac_exec.backends.aws_lambda.emulator.server"


class EmulatorInputError(PodpacExecError, ValueError):
    """An ``emulator start`` option is unusable (port out of range, env file in a missing folder)."""


def check_port(port: int) -> int:
    """``port`` if it is 0..65535 (0: a free one), else a one-line error."""
    if not 0 <= port <= 65535:
        raise EmulatorInputError(f"--port must be 0..65535 (0: a free port), got {port}", field="--port")
    return port


def check_port_free(port: int, host: str = HOST) -> None:
    """Fail with one line when ``host:port`` is taken (werkzeug would print its own message and exit)."""
    if port == 0:
        return
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise EmulatorError(
                f"--port {port}: {host}:{port} is in use ({exc.strerror or exc}); choose another port, or --port 0"
            ) from None


def exports(endpoint: str) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": "us-east-1", **DUMMY_CREDENTIALS}


def write_env_file(path: Path, endpoint: str, pid: int) -> None:
    lines = [f"# podpac-exec AWS emulator, pid {pid}: source this file"]
    lines += [f"export {key}={value}" for key, value in exports(endpoint).items()]
    path.write_text("\n".join(lines) + "\n")


def _check_env_file(env_file: str | None) -> Path | None:
    if not env_file:
        return None
    path = Path(env_file)
    if not path.parent.is_dir():
        raise EmulatorInputError(f"--env-file: directory {str(path.parent)!r} does not exist", field="--env-file")
    if path.is_dir():
        raise EmulatorInputError(f"--env-file: {env_file!r} is a directory", field="--env-file")
    return path


def start_command(
    port: int | None = DEFAULT_PORT,
    *,
    env_file: str | None = None,
    background: bool = False,
    state_dir: str | None = None,
) -> int:
    """Serve on 127.0.0.1, print (and optionally write) the variables to export; in the
    foreground run until interrupted, in the background print the server's PID and return."""
    port = check_port(DEFAULT_PORT if port is None else port)
    env_path = _check_env_file(env_file)
    check_port_free(port)
    if state_dir:
        Path(state_dir).mkdir(parents=True, exist_ok=True)
    if background:
        return _start_background(port, env_path, state_dir)
    return _start_foreground(port, env_path, state_dir)


def _print_exports(endpoint: str, how_to_stop: str) -> None:
    print(f"# podpac-exec AWS emulator at {endpoint} ({how_to_stop}); export these:")
    for key, value in exports(endpoint).items():
        print(f"export {key}={value}")
    sys.stdout.flush()


def _start_foreground(port: int, env_path: Path | None, state_dir: str | None) -> int:
    from . import server  # moto and werkzeug are imported only now

    settings = server.settings_from(server.parse_args(["--port", str(port), "--state-dir", state_dir or ""]))
    try:
        httpd, app = server.make_emulator_server(settings, HOST, port)
    except (OSError, SystemExit) as exc:  # lost a race for the port after the check
        if not state_dir:
            shutil.rmtree(settings.state_dir, ignore_errors=True)
        raise EmulatorError(f"--port {port}: cannot serve on {HOST}:{port} ({exc})") from None
    app.prewarm()
    endpoint = app.invoker.endpoint_url
    if env_path:
        write_env_file(env_path, endpoint, os.getpid())
    _print_exports(endpoint, "Ctrl-C to stop")
    return server.serve(httpd, app, settings, remove_state_dir=not state_dir)


def _start_background(port: int, env_path: Path | None, state_dir: str | None, timeout_s: float = 60.0) -> int:
    """Start the server detached (its own session), wait for its ready line, print its PID."""
    own_dir = not state_dir
    directory = Path(state_dir) if state_dir else Path(tempfile.mkdtemp(prefix="podpac-exec-emulator-"))
    log_path = directory / "server.log"
    cmd = [sys.executable, "-m", SERVER_MODULE, "--port", str(port), "--state-dir", str(directory),
           "--log-file", str(log_path)]
    if own_dir:
        cmd.append("--remove-state-dir")
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, start_new_session=True)
    try:
        ready_port = _await_ready(proc, timeout_s, log_path)
    except BaseException:
        proc.kill()
        proc.wait()
        if own_dir:
            shutil.rmtree(directory, ignore_errors=True)
        raise
    endpoint = f"http://{HOST}:{ready_port}"
    if env_path:
        write_env_file(env_path, endpoint, proc.pid)
    _print_exports(endpoint, f"pid {proc.pid}: `kill {proc.pid}` to stop")
    print(f"# logs: {log_path}")
    return 0


def _await_ready(proc: subprocess.Popen[bytes], timeout_s: float, log_path: Path) -> int:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout_s
    buf = b""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while b"\n" not in buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise EmulatorError(f"the emulator did not start within {timeout_s:.0f} s; see {log_path}")
            if sel.select(remaining):
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    last = (log_path.read_text(errors="replace").strip().splitlines() or ["no output"])[-1]
                    raise EmulatorError(f"the emulator exited during start: {last}")
                buf += chunk
    proc.stdout.close()
    line = buf.split(b"\n", 1)[0].decode()
    fields = dict(part.split("=", 1) for part in line.split()[1:] if "=" in part)
    if "port" not in fields:
        raise EmulatorError(f"unexpected first line from the emulator: {line!r}")
    return int(fields["port"])
