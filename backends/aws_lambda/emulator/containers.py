"""One emulated execution environment: an isolated interpreter process running ``runtime_bootstrap``."""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import psutil

from . import runtime_bootstrap
from .runtimes import Interpreter

FRAME = runtime_bootstrap.FRAME
INIT_TIMEOUT_S = 10.0  # Lambda's limit for the init phase of on-demand functions
POLL_S = 0.01  # memory check interval while a container works
# Go's names for signals, as the Lambda runtime reports an exit ("Runtime exited with error: signal: killed")
SIGNAL_NAMES = {
    int(signal.SIGKILL): "killed",
    int(signal.SIGSEGV): "segmentation fault",
    int(signal.SIGABRT): "aborted",
    int(signal.SIGTERM): "terminated",
}

Status = Literal["ok", "error", "timeout", "oom", "exited"]


@dataclass
class Outcome:
    """What one init or invocation produced."""

    status: Status
    body: bytes = b""
    header: dict[str, Any] = field(default_factory=dict)
    max_rss_kb: int = 0
    exit_reason: str = ""  # "signal: killed", "exit status 1"


@dataclass(frozen=True)
class LaunchSpec:
    """Everything needed to start a container process."""

    interpreter: Interpreter
    handler: str
    task_root: str
    layer_paths: list[str]
    runtime_packages: str
    env: dict[str, str]
    memory_mb: int


class Container:
    """A worker process serving successive invocations until it is stopped, crashes or idles out."""

    def __init__(
        self, launch: LaunchSpec, workdir: Path, fingerprint: str, function_key: tuple[str, str, str], version: str
    ) -> None:
        self.id = uuid.uuid4().hex
        self.log_stream = time.strftime("%Y/%m/%d/", time.gmtime()) + f"[{version}]{self.id}"
        self.launch = launch
        self.fingerprint = fingerprint
        self.function_key = function_key
        self.dir = workdir / self.id
        self.tmp = self.dir / "tmp"
        self.log_path = self.dir / "log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._req_w = -1
        self._resp_r = -1
        self._log: Any = None
        self._ps: psutil.Process | None = None
        self.last_used = time.monotonic()
        self.invocations = 0
        self.init_duration_ms = 0.0
        self.init_error: dict[str, Any] | None = None
        self.alive = False
        self._serving = threading.Lock()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self, env_extra: dict[str, str]) -> tuple[Outcome, str]:
        """Start the process and run init; returns the init outcome and the log written during init."""
        self.tmp.mkdir(parents=True)
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        cfg = {
            "handler": self.launch.handler,
            "task_root": self.launch.task_root,
            "layer_paths": self.launch.layer_paths,
            "runtime_packages": self.launch.runtime_packages,
            "req_fd": req_r,
            "resp_fd": resp_w,
        }
        env = dict(self.launch.env, TMPDIR=str(self.tmp), **env_extra)
        started = time.perf_counter()
        try:
            with open(self.log_path, "ab") as log:
                # Stays in the server's process group, so stopping the group stops every container.
                self.proc = subprocess.Popen(
                    [self.launch.interpreter.path, "-I", "-S", runtime_bootstrap.__file__, json.dumps(cfg)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    env=env,
                    cwd=str(self.tmp),
                    pass_fds=(req_r, resp_w),
                    close_fds=True,
                )
        except OSError:
            for fd in (req_w, resp_r):
                os.close(fd)
            raise
        finally:
            os.close(req_r)
            os.close(resp_w)
        self._req_w, self._resp_r = req_w, resp_r
        self._log = open(self.log_path, "rb")  # noqa: SIM115 - lives as long as the container
        try:
            self._ps = psutil.Process(self.proc.pid)
        except psutil.Error:  # already gone: _await reports how it exited
            self._ps = None
        self.alive = True
        outcome = self._await(time.monotonic() + INIT_TIMEOUT_S)
        self.init_duration_ms = (time.perf_counter() - started) * 1000
        if outcome.status == "ok":
            self.init_error = outcome.header.get("init_error")
        return outcome, self._read_log()

    def invoke(self, header: dict[str, Any], payload: bytes, timeout_s: float) -> tuple[Outcome, str]:
        """Send one event; wait for the answer, the deadline or a memory overrun. Returns outcome and log."""
        if not self._serving.acquire(blocking=False):
            # two readers of one response pipe would take each other's answers
            raise RuntimeError(f"container {self.id} is already serving an invocation")
        try:
            return self._invoke(header, payload, timeout_s)
        finally:
            self._serving.release()

    def _invoke(self, header: dict[str, Any], payload: bytes, timeout_s: float) -> tuple[Outcome, str]:
        self.invocations += 1
        deadline = time.monotonic() + timeout_s
        try:
            runtime_bootstrap.write_frame(self._req_w, header, payload)
        except OSError:
            outcome = self._exited()
        else:
            outcome = self._await(deadline)
        self.last_used = time.monotonic()
        return outcome, self._read_log()

    def _await(self, deadline: float) -> Outcome:
        limit = self.launch.memory_mb * 1024 * 1024
        buf = bytearray()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return Outcome("timeout", max_rss_kb=self._rss() // 1024)
            ready, _, _ = select.select([self._resp_r], [], [], min(remaining, POLL_S))
            if ready:
                chunk = os.read(self._resp_r, 1 << 20)
                if not chunk:
                    return self._exited()
                buf += chunk
                if len(buf) >= FRAME.size:
                    hlen, blen = FRAME.unpack_from(buf)
                    if len(buf) >= FRAME.size + hlen + blen:
                        header = json.loads(bytes(buf[FRAME.size : FRAME.size + hlen]))
                        body = bytes(buf[FRAME.size + hlen : FRAME.size + hlen + blen])
                        rss = int(header.get("max_rss_kb", 0))
                        if rss * 1024 > limit:
                            return Outcome("oom", max_rss_kb=rss)
                        return Outcome("ok" if header.get("ok", True) else "error", body, header, rss)
            elif self._rss() > limit:
                return Outcome("oom", max_rss_kb=self.launch.memory_mb * 1024)

    def _rss(self) -> int:
        try:
            return self._ps.memory_info().rss if self._ps else 0
        except psutil.Error:
            return 0

    def _exited(self) -> Outcome:
        code = self.proc.wait(timeout=5) if self.proc else 0
        if code < 0:
            reason = f"signal: {SIGNAL_NAMES.get(-code, f'signal {-code}')}"
        else:
            reason = f"exit status {code}"
        self.alive = False
        return Outcome("exited", exit_reason=reason)

    def _read_log(self) -> str:
        if self._log is None:
            return ""
        return self._log.read().decode("utf-8", errors="replace")

    def kill(self) -> None:
        """Kill the process and anything it started; safe from any thread (the owner then sees it exit)."""
        self.alive = False
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            victims = [*self._ps.children(recursive=True), self._ps] if self._ps else []
        except psutil.Error:
            victims = []
        for p in victims:
            with contextlib.suppress(psutil.Error):
                p.kill()
        with contextlib.suppress(OSError):
            self.proc.kill()

    def close(self) -> None:
        """Reap the killed process, close its pipes and remove its directory (owner thread only)."""
        self.kill()
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
        for fd in (self._req_w, self._resp_r):
            if fd >= 0:
                os.close(fd)
        self._req_w = self._resp_r = -1
        if self._log is not None:
            self._log.close()
            self._log = None
        shutil.rmtree(self.dir, ignore_errors=True)
