"""``Emulator``: starts the emulator server in its own process group and talks to it."""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from collections.abc import Iterator
from typing import Any

from .config import DEFAULT_ACCOUNT_CONCURRENCY, DEFAULT_IDLE_TIMEOUT_S, DUMMY_CREDENTIALS
from .errors import EmulatorError
from .procs import group_members, signal_group

SERVER_MODULE = "podpac_exec.backends.aws_lambda.emulator.server"
READY_PREFIX = "EMULATOR_READY"


class Emulator:
    """The offline AWS emulator (moto's S3, IAM, STS, Lambda, CloudWatch Logs + real Lambda invoke).

    ``with Emulator() as emu:`` starts a server on 127.0.0.1 (ephemeral port) in a new process
    group; leaving the block stops the server and every container it started.
    """

    def __init__(
        self,
        *,
        port: int = 0,
        idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
        account_concurrency: int = DEFAULT_ACCOUNT_CONCURRENCY,
        state_dir: str | os.PathLike[str] | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        region: str = "us-east-1",
        startup_timeout_s: float = 60.0,
        python: str | None = None,
    ) -> None:
        self.port = port
        self.idle_timeout_s = idle_timeout_s
        self.account_concurrency = account_concurrency
        self.region = region
        self.startup_timeout_s = startup_timeout_s
        self.python = python or sys.executable
        self._state_dir = Path(state_dir) if state_dir else None
        self._cache_dir = Path(cache_dir) if cache_dir else None
        self._own_state_dir = False
        self._proc: subprocess.Popen[bytes] | None = None
        self.endpoint_url = ""

    # --- lifecycle --------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        """The server's pid, which is also its process group id."""
        return self._proc.pid if self._proc else None

    @property
    def state_dir(self) -> Path:
        if self._state_dir is None:
            raise EmulatorError("the emulator is not started")
        return self._state_dir

    def start(self) -> Emulator:
        """Start the server and wait (with a deadline) for its ready line."""
        if self._proc is not None:
            return self
        own = self.python == sys.executable
        if own and (importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None):
            raise ImportError("the AWS emulator needs moto[server]: pip install 'podpac-exec[emulator]'")
        if self._state_dir is None:
            self._state_dir = Path(tempfile.mkdtemp(prefix="podpac-exec-emulator-"))
            self._own_state_dir = True
        self._state_dir.mkdir(parents=True, exist_ok=True)
        log_path = self._state_dir / "server.log"
        cmd = [
            self.python,
            "-m",
            SERVER_MODULE,
            "--port",
            str(self.port),
            "--idle-timeout-s",
            str(self.idle_timeout_s),
            "--account-concurrency",
            str(self.account_concurrency),
            "--state-dir",
            str(self._state_dir),
            "--log-file",
            str(log_path),
            "--parent-pid",
            str(os.getpid()),
        ]
        if self._cache_dir:
            cmd += ["--cache-dir", str(self._cache_dir)]
        with open(log_path, "ab") as log:
            self._proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, start_new_session=True
            )
        try:
            port = self._await_ready(log_path)
        except BaseException:
            self.stop()
            raise
        self.endpoint_url = f"http://127.0.0.1:{port}"
        return self

    def _await_ready(self, log_path: Path) -> int:
        assert self._proc is not None and self._proc.stdout is not None
        deadline = time.monotonic() + self.startup_timeout_s
        buf = b""
        with selectors.DefaultSelector() as sel:
            sel.register(self._proc.stdout, selectors.EVENT_READ)
            while b"\n" not in buf:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise EmulatorError(f"the emulator did not start within {self.startup_timeout_s} s; see {log_path}")
                if sel.select(remaining):
                    chunk = os.read(self._proc.stdout.fileno(), 4096)
                    if not chunk:
                        tail = log_path.read_text(errors="replace")[-2000:]
                        raise EmulatorError(f"the emulator exited during start (code {self._proc.wait()}):\n{tail}")
                    buf += chunk
        self._proc.stdout.close()
        line = buf.split(b"\n", 1)[0].decode()
        if not line.startswith(READY_PREFIX):
            raise EmulatorError(f"unexpected first line from the emulator: {line!r}")
        fields = dict(part.split("=", 1) for part in line.split()[1:])
        return int(fields["port"])

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the server and its containers (SIGTERM, then SIGKILL to the process group) and wait for them."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        pgid = proc.pid
        signal_group(pgid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=min(3.0, timeout_s))
        signal_group(pgid, signal.SIGKILL)
        if proc.poll() is None:
            proc.wait(timeout=timeout_s)
        deadline = time.monotonic() + timeout_s
        while group_members(pgid):
            if time.monotonic() > deadline:
                raise EmulatorError(f"processes of group {pgid} survived SIGKILL")
            time.sleep(0.01)
        if self._own_state_dir and self._state_dir is not None:
            shutil.rmtree(self._state_dir, ignore_errors=True)
            self._state_dir = None
        self.endpoint_url = ""

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- clients ----------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        """Environment variables that point boto3 (and the AWS CLI) at the emulator, with dummy credentials."""
        no_proxy = ",".join(filter(None, [os.environ.get("NO_PROXY", ""), "127.0.0.1", "localhost"]))
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            **DUMMY_CREDENTIALS,
            "NO_PROXY": no_proxy,
        }

    @contextlib.contextmanager
    def exported_env(self) -> Iterator[dict[str, str]]:
        """:meth:`env` set in ``os.environ`` for the block (boto3 in this process then talks to the
        emulator), and the previous values put back after it."""
        env = self.env()
        saved = {key: os.environ.get(key) for key in env}
        os.environ.update(env)
        try:
            yield env
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client for ``service`` talking to the emulator (extra kwargs go to ``boto3.client``)."""
        import boto3

        kwargs.setdefault("endpoint_url", self.endpoint_url)
        kwargs.setdefault("region_name", self.region)
        kwargs.setdefault("aws_access_key_id", DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"])
        kwargs.setdefault("aws_secret_access_key", DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
        return boto3.client(service, **kwargs)

    # --- the emulator's own API -------------------------------------------------------------
    def _call(self, method: str, route: str, doc: dict[str, Any] | None = None, timeout_s: float = 60.0) -> Any:
        if not self.endpoint_url:
            raise EmulatorError("the emulator is not started")
        host, port = self.endpoint_url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=timeout_s)
        try:
            body = json.dumps(doc).encode() if doc is not None else None
            conn.request(method, f"/_emulator/{route}", body=body, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        if resp.status != 200:
            raise EmulatorError(f"emulator {method} {route}: HTTP {resp.status}: {data.decode(errors='replace')}")
        return json.loads(data)

    def reset(self) -> None:
        """Forget all resources, stop all containers, clear faults and pending events, restore settings."""
        self._call("POST", "reset")

    def set_faults(
        self,
        throttle: float = 0.0,
        crash: float = 0.0,
        timeout: float = 0.0,
        latency_s: float = 0.0,
        seed: int | None = None,
        stragglers: int = 0,
        straggler_s: float = 0.0,
    ) -> None:
        """Inject faults into every following invoke: probabilities of a 429 throttle, a runtime crash and a
        timeout, plus ``latency_s`` added before each one. ``seed`` makes the draws repeatable. The next
        ``stragglers`` invocations hold their concurrency slot ``straggler_s`` seconds longer."""
        self._call(
            "POST",
            "faults",
            {"throttle": throttle, "crash": crash, "timeout": timeout, "latency_s": latency_s, "seed": seed,
             "stragglers": stragglers, "straggler_s": straggler_s},
        )

    def configure(
        self,
        *,
        idle_timeout_s: float | None = None,
        account_concurrency: int | None = None,
        cold_start_concurrency: int | None = None,
    ) -> dict[str, Any]:
        """Change run-time settings (restored by ``reset``); returns the settings now in force."""
        return self._call("POST", "settings", {
            "idle_timeout_s": idle_timeout_s,
            "account_concurrency": account_concurrency,
            "cold_start_concurrency": cold_start_concurrency,
        })

    def settings(self) -> dict[str, Any]:
        return self._call("GET", "settings")

    def containers(self) -> list[dict[str, Any]]:
        """The running containers: id, pid, state (idle/busy), function, invocations, interpreter."""
        return self._call("GET", "containers")

    def stop_containers(self) -> None:
        """Stop every container (the next invoke of each function is a cold start)."""
        self._call("POST", "containers/stop")

    def function_urls(self) -> list[dict[str, Any]]:
        """The function URLs served on 127.0.0.1: account, region, function, url."""
        return self._call("GET", "function-urls")

    def wait_async(self, timeout_s: float = 30.0) -> list[dict[str, Any]]:
        """Wait until every ``InvocationType=Event`` run (S3 event notifications included) has finished.

        Returns their records; a notification that was dropped (no function, no permission for
        s3.amazonaws.com, recursive loop) is a record with ``error`` and no ``request_id``.
        """
        answer = self._call("GET", f"async?timeout_s={timeout_s}", timeout_s=timeout_s + 10)
        if answer["pending"]:
            raise EmulatorError(f"{answer['pending']} event invocation(s) still running after {timeout_s} s")
        return answer["completed"]

    def status(self) -> dict[str, Any]:
        return self._call("GET", "status")
