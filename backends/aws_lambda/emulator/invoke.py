"""Lambda Invoke: runs a function's code in a (warm or new) container and answers as Lambda does."""

from __future__ import annotations

import base64
import json
import math
import shutil
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import artifacts, limits, logs, moto_bridge
from .background import BackgroundInvocations
from .config import DUMMY_CREDENTIALS
from .containers import Container, LaunchSpec, Outcome
from .errors import AwsError, throttled, validation_error
from .faults import FaultInjector
from .moto_bridge import FunctionSnapshot
from .pool import Pool
from .runtimes import find_interpreter, python_version, runtime_packages
from .tracing import lineage_of, new_trace_id

INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")
NONFATAL_INIT_ERRORS = {"Runtime.HandlerNotFound"}  # the module loaded: the environment stays usable


@dataclass
class Result:
    """One finished invocation."""

    request_id: str
    payload: bytes
    function_error: str | None
    log: str
    cold: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "function_error": self.function_error,
            "cold": self.cold,
            "payload": self.payload.decode("utf-8", errors="replace"),
        }


@dataclass(frozen=True)
class Call:
    """What one invocation runs: request id, payload, client context, trace id and the injected fault."""

    request_id: str
    payload: bytes
    client_context: Any
    trace_id: str
    fault: str | None


def _error_payload(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


#: Names the host directory shared by every container (``Invoker.shared_dir``); neither PODPAC_EXEC_*
#: (settings would read it as one) nor PODPAC_LAMBDA_* (the function's own configuration).
SHARED_DIR_ENV = "PODPAC_EMULATOR_SHARED_DIR"


class Invoker:
    """Runs invocations against the pool of containers, with faults, limits and logs."""

    def __init__(self, pool: Pool, faults: FaultInjector, state_dir: Path, cache_dir: Path, endpoint_url: str) -> None:
        self.pool = pool
        self.faults = faults
        self.state_dir = state_dir
        self.cache_dir = cache_dir
        self.endpoint_url = endpoint_url
        self._packages: Path | None = None
        self._packages_lock = threading.Lock()
        self.background = BackgroundInvocations(self.run)

    def shared_dir(self) -> Path:
        """Where containers of this emulator may share what they unpack (once per host, not per container)."""
        path = self.state_dir / "shared"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def clear_shared_dir(self) -> None:
        shutil.rmtree(self.state_dir / "shared", ignore_errors=True)

    def runtime_packages(self) -> Path:
        """The runtime-provided packages directory (built on first use)."""
        with self._packages_lock:
            if self._packages is None:
                self._packages = runtime_packages(self.cache_dir)
            return self._packages

    # --- HTTP entry -------------------------------------------------------------------------
    def handle(
        self, environ: dict[str, Any], body: bytes, name: str, qualifier: str | None
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """Answer one ``POST /2015-03-31/functions/{name}/invocations``."""
        invocation_type = environ.get("HTTP_X_AMZ_INVOCATION_TYPE") or "RequestResponse"
        if invocation_type not in INVOCATION_TYPES:
            raise validation_error(
                invocation_type,
                "invocationType",
                "Member must satisfy enum value set: [Event, RequestResponse, DryRun]",
            )
        limits.check_invoke_request(len(body), invocation_type)
        account, region = moto_bridge.identify(environ)
        fn = moto_bridge.snapshot(account, region, name, qualifier)
        request_id = str(uuid.uuid4())
        headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id)]
        if invocation_type == "DryRun":
            return 204, headers, b""
        if body.strip():
            try:
                json.loads(body)
            except ValueError as e:
                raise AwsError(
                    400,
                    "InvalidRequestContentException",
                    f"Could not parse request body into json: Could not parse payload into json: {e}",
                ) from e
        client_context = _client_context(environ.get("HTTP_X_AMZ_CLIENT_CONTEXT"))
        # a call made from a handler keeps its event chain's count, so loops through Invoke stay capped
        trace_id = new_trace_id(lineage_of(environ.get("HTTP_X_AMZN_TRACE_ID")))
        if invocation_type == "Event":
            self.background.submit(fn, body, request_id, trace_id)
            return 202, headers, b""
        result = self.run(fn, body, request_id, client_context, trace_id)
        headers.append(("X-Amz-Executed-Version", fn.version))
        if result.function_error:
            headers.append(("X-Amz-Function-Error", result.function_error))
        if (environ.get("HTTP_X_AMZ_LOG_TYPE") or "None") == "Tail":
            headers.append(("X-Amz-Log-Result", logs.tail(result.log)))
        return 200, headers, result.payload

    # --- one invocation ---------------------------------------------------------------------
    def run(
        self,
        fn: FunctionSnapshot,
        payload: bytes,
        request_id: str,
        client_context: Any = None,
        trace_id: str | None = None,
    ) -> Result:
        """Faults, concurrency slot, container, logs; raises ``AwsError`` for throttles."""
        latency = self.faults.faults.latency_s
        if latency:
            time.sleep(latency)
        fault = self.faults.draw()
        if fault == "throttle":
            raise throttled("ConcurrentInvocationLimitExceeded")
        self.pool.acquire_slot(fn.key, fn.reserved, moto_bridge.reserved_total(fn.account, fn.region))
        try:
            slow = self.faults.straggle()
            if slow:  # a straggling container: the slot is held, as a slow invocation holds it
                time.sleep(slow)
            return self._run(fn, Call(request_id, payload, client_context, trace_id or new_trace_id(), fault))
        finally:
            self.pool.release_slot(fn.key, fn.reserved)

    def _run(self, fn: FunctionSnapshot, call: Call) -> Result:
        fingerprint = fn.fingerprint()
        container = self.pool.checkout_or_cold_slot(fingerprint)
        cold_slot = container is None
        try:
            if container is None:
                self.pool.retire(fn.key, fingerprint)
                container = Container(self._launch_spec(fn), self.state_dir / "containers", fingerprint, fn.key, fn.version)
                self.pool.adopt(container)
            # the slot covers init and the first invocation, where a handler does its cold-start work
            return self._run_in(container, fn, call)  # _finish checks the container in, last
        except BaseException as e:
            if container is not None:
                # Only here, never after _finish: a container checked in is another invocation's
                # as soon as a waiter wakes, and a second check-in would hand it to a third.
                container.kill()
                self.pool.checkin(container)
            if isinstance(e, OSError):
                raise AwsError(
                    500, "ServiceException", f"the emulated container failed: {e}", message_key="Message"
                ) from e
            raise
        finally:
            if cold_slot:
                self.pool.cold_start_done()

    def _run_in(self, container: Container, fn: FunctionSnapshot, call: Call) -> Result:
        request_id = call.request_id
        log = logs.TimedLog()
        init_ms: float | None = None
        if container.proc is None:  # a new container: cold start
            log.add(logs.init_start_line(container.launch.interpreter.note, fn.region, container.launch.interpreter.version))
            outcome, init_log = container.start({"AWS_LAMBDA_LOG_STREAM_NAME": container.log_stream})
            init_ms = container.init_duration_ms
            log.add(init_log)
            if outcome.status != "ok":  # init did not finish: report it on this invocation
                log.add(logs.start_line(request_id, fn.version))
                return self._finish(fn, container, request_id, outcome, log, 0.0, init_ms)
        started = time.perf_counter()
        log.add(logs.start_line(request_id, fn.version))
        if call.fault in ("crash", "timeout"):
            container.kill()
            outcome, out = (
                (Outcome("exited", exit_reason="signal: killed") if call.fault == "crash" else Outcome("timeout")),
                "",
            )
        else:
            header = {
                "request_id": request_id,
                "invoked_function_arn": fn.arn,
                "client_context": call.client_context,
                "deadline_ms": int(time.time() * 1000 + fn.timeout_s * 1000),
                "trace_id": call.trace_id,
            }
            outcome, out = container.invoke(header, call.payload, fn.timeout_s)
        duration_ms = fn.timeout_s * 1000.0 if outcome.status == "timeout" else (time.perf_counter() - started) * 1000
        log.add(out)
        return self._finish(fn, container, request_id, outcome, log, duration_ms, init_ms)

    def _finish(
        self,
        fn: FunctionSnapshot,
        container: Container,
        request_id: str,
        outcome: Outcome,
        log: logs.TimedLog,
        duration_ms: float,
        init_ms: float | None,
    ) -> Result:
        """Payload, function error and REPORT for an outcome; the container goes back or is stopped."""
        used_mb = max(1, math.ceil(outcome.max_rss_kb / 1024)) if outcome.max_rss_kb else 0
        report = logs.Report(request_id, duration_ms, fn.memory_mb, used_mb, init_ms)
        error: str | None = None
        payload = outcome.body
        if outcome.status == "ok":
            too_big = limits.response_too_large(len(payload))
            if too_big:
                error, payload = "Unhandled", json.dumps(too_big).encode()
        elif outcome.status == "error":
            error = "Unhandled"
            if container.init_error and container.init_error.get("errorType") not in NONFATAL_INIT_ERRORS:
                container.kill()  # Lambda resets an environment whose init failed
        elif outcome.status == "timeout":
            container.kill()
            error = "Unhandled"
            payload = _error_payload(
                "Sandbox.Timedout", f"RequestId: {request_id} Error: Task timed out after {fn.timeout_s:.2f} seconds"
            )
            log.add(logs.timeout_line(request_id, fn.timeout_s))
            report.status = "timeout"
        else:  # oom or exited
            container.kill()
            error = "Unhandled"
            reason = "signal: killed" if outcome.status == "oom" else outcome.exit_reason
            payload = _error_payload(
                "Runtime.ExitError", f"RequestId: {request_id} Error: Runtime exited with error: {reason}"
            )
            log.add(logs.exit_lines(request_id, reason))
            report.status = "error"
            report.error_type = "Runtime.OutOfMemory" if outcome.status == "oom" else "Runtime.ExitError"
            if outcome.status == "oom":
                report.max_memory_mb = fn.memory_mb
        log.add(logs.end_line(request_id) + report.line())
        result = Result(request_id, payload, error, log.text(), init_ms is not None)
        moto_bridge.put_logs(fn.account, fn.region, f"/aws/lambda/{fn.name}", container.log_stream, log.events())
        self.pool.checkin(container)  # the last step: from here on another invocation may use it
        return result

    def _launch_spec(self, fn: FunctionSnapshot) -> LaunchSpec:
        version = python_version(fn.runtime)
        if fn.package_type != "Zip" or version is None:
            raise AwsError(
                502,
                "InvalidRuntimeException",
                f"The emulator runs zip functions on python runtimes only, not {fn.runtime or fn.package_type}.",
                message_key="Message",
            )
        if not fn.code:
            raise AwsError(
                502,
                "InvalidZipFileException",
                "Lambda was unable to unzip the function code: it is empty.",
                message_key="Message",
            )
        interpreter = find_interpreter(fn.runtime)
        task_root = artifacts.unpack(fn.code, fn.code_sha, self.state_dir / "code")
        opt_dirs = [artifacts.unpack(zipped, sha, self.state_dir / "layers") for sha, zipped in fn.layers]
        bins, libs = artifacts.native_paths(opt_dirs)
        packages = self.runtime_packages()
        env = {
            "PATH": ":".join([*bins, "/usr/local/bin", "/usr/bin", "/bin"]),
            "LD_LIBRARY_PATH": ":".join([*libs, str(task_root / "lib")]),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
        }
        env.update(fn.env)
        env.update(
            {
                "_HANDLER": fn.handler,
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.runtime}",
                "AWS_LAMBDA_FUNCTION_NAME": fn.name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_mb),
                "AWS_LAMBDA_FUNCTION_VERSION": fn.version,
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.name}",
                "AWS_REGION": fn.region,
                "AWS_DEFAULT_REGION": fn.region,
                "LAMBDA_TASK_ROOT": str(task_root),
                "LAMBDA_RUNTIME_DIR": str(packages),
                "AWS_ENDPOINT_URL": self.endpoint_url,
                # one host directory every container may share (Lambda: none; see docs/emulator.md)
                SHARED_DIR_ENV: str(self.shared_dir()),
                **DUMMY_CREDENTIALS,
                # keep the host's ~/.aws (profiles, regions) away from the function, as on Lambda
                "AWS_CONFIG_FILE": str(self.state_dir / "no-aws-config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(self.state_dir / "no-aws-credentials"),
            }
        )
        return LaunchSpec(
            interpreter,
            fn.handler,
            str(task_root),
            artifacts.python_paths(opt_dirs, interpreter.version),
            str(packages),
            env,
            fn.memory_mb,
        )


def _client_context(header: str | None) -> Any:
    if not header:
        return None
    try:
        return json.loads(base64.b64decode(header))
    except ValueError:
        return None
