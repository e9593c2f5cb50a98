"""The client side: invoke the function for each tile, with bounded retries, and decode results."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, Any

from podpac_exec.plugins.backends import Backend, BackendLimits, EvaluationOptions
from podpac_exec.backends.aws_lambda.wire.protocol import (
    BASE64_OVERHEAD,
    ENVELOPE_BYTES,
    PROTOCOL_VERSION,
    SYNC_PAYLOAD_LIMIT,
    OutputSpec,
    build_request,
    read_response,
    split_s3_uri,
)
from podpac_exec.backends.aws_lambda.client import adaptive
from podpac_exec.backends.aws_lambda.function.identity import IDENTIFY_FIELD
from podpac_exec.backends.aws_lambda.client.reports import parse_report
from podpac_exec.engine.adaptive import LIMIT_KINDS
from podpac_exec.engine.concurrency import call_in_window
from podpac_exec.errors import BackendError, RemoteEvaluationError
from podpac_exec.engine.dispatch import result_array
from podpac_exec.engine.retry import RetryPolicy, call_with_retries

if TYPE_CHECKING:
    import xarray as xr

    from podpac_exec.coordinates import Coordinates
    from podpac_exec.nodes.base import Node

#: Remote errors that come from the platform, not the pipeline: worth another try. Running out of
#: memory is not among them: the same tile at the same memory size runs out again.
TRANSIENT_REMOTE_ERRORS = ("Runtime.ExitError", "Runtime.Unknown", "Sandbox.Timedout")
#: Where to look when the function is missing, as Lambda's error message does not say.
BUILD_HINT = "run `podpac-exec aws build` (and check aws_lambda.function_name / aws_lambda.region)"
THROTTLE_CODES = {"TooManyRequestsException", "ThrottlingException"}
TRANSIENT_CODES = {
    "TooManyRequestsException",
    "ThrottlingException",
    "ServiceException",
    "ResourceNotReadyException",
    "EC2ThrottledException",
    "ENILimitReachedException",
    "SlowDown",
    "InternalError",
    "RequestTimeout",
}


class TransientInvokeError(BackendError):
    """A failure worth retrying: throttling, 5xx, connection errors, crashed or timed-out runs."""


class ThrottledError(TransientInvokeError):
    """429 TooManyRequests (reserved or account concurrency, request rate): fewer calls at once."""

    kind = "throttle"


class TransientRemoteError(RemoteEvaluationError, TransientInvokeError):
    """The function's runtime crashed or timed out (not an error of the pipeline)."""


def read_payload(response: Mapping[str, Any]) -> bytes:
    """An invoke's answer, read to the end; a connection lost while reading is transient (the
    function's work is repeatable), not a botocore traceback."""
    from botocore.exceptions import BotoCoreError

    try:
        return response["Payload"].read()
    except (BotoCoreError, OSError) as exc:
        raise TransientInvokeError(f"reading the answer failed: {type(exc).__name__}: {exc}") from exc


class LambdaBackend(Backend):
    """Evaluates tiles by invoking the podpac-exec function synchronously, ``max_concurrency`` at once."""

    name = "aws_lambda"

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self._lock = threading.Lock()
        self._session: Any = None
        self._clients: dict[str, Any] = {}

    @classmethod
    def instance_key(cls, config: Mapping[str, Any]) -> Hashable:
        """The section plus a digest of the ``AWS_*`` environment (endpoint, profile, region,
        credentials), which shapes the boto3 clients: a changed environment gets new clients."""
        aws_env = sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_"))
        digest = hashlib.sha256(repr(aws_env).encode()).hexdigest()  # no credential kept in the key
        return (super().instance_key(config), digest)

    # -- limits ---------------------------------------------------------------------------------

    def limits(self) -> BackendLimits:
        # tiles are sized for the synchronous response; s3_threshold_bytes only decides when a
        # (whole-request or unsplittable) result is spilled to S3 instead
        return BackendLimits(
            max_result_bytes=SYNC_PAYLOAD_LIMIT - ENVELOPE_BYTES,
            concurrency=max(1, int(self.config["max_concurrency"])),
            encoding_overhead=BASE64_OVERHEAD,
            scale_up_per_s=adaptive.SCALE_UP_PER_S,
        )

    # -- the adaptive fan-out's signals (client/adaptive.py, client/version.py) ------------------

    def failure_kind(self, exc: BaseException) -> str | None:
        return adaptive.failure_kind(exc)

    def estimate(self, figures: Any, calibration: Any) -> dict[str, Any] | None:
        return adaptive.estimate(figures, self.config, calibration)

    def cost_usd(self, stats: Any) -> float | None:
        from podpac_exec.backends.aws_lambda.client.reports import cost_report

        if not stats.invocations:
            return 0.0
        return cost_report(stats.invocations, price_per_gb_second=float(self.config["price_per_gb_second"]),
                           price_per_request=float(self.config["price_per_request"]))["estimated_cost_usd"]

    def max_cost_usd(self) -> float | None:
        return float(self.config["max_cost_usd"]) or None

    def before_run(self, options: EvaluationOptions) -> None:
        from podpac_exec.backends.aws_lambda.client.version import check_function

        check_function(self, options)

    def identify(self, policy: RetryPolicy, stats: Any = None) -> Any:
        """The function's answer to the identify request (client/version.py): its JSON body, or
        the non-transient remote error it raised; ``stats`` records the invocation."""
        payload = json.dumps({"version": PROTOCOL_VERSION, IDENTIFY_FIELD: True}).encode()

        def ask() -> Any:
            response = self._call_lambda(payload)
            report = parse_report(response.get("LogResult"))
            if report and stats is not None:
                report.update(tile=None, cells=0, identify=True)
                stats.add_invocation(report)
            body = read_payload(response)
            if not response.get("FunctionError"):
                return body
            return remote_error(body)  # a crash says nothing of the version: no retry

        try:
            return call_with_retries(ask, policy=policy, retryable=lambda exc: isinstance(exc, TransientInvokeError))
        except TransientInvokeError as exc:
            raise self._exhausted(exc, policy) from exc

    # -- clients --------------------------------------------------------------------------------

    def client(self, service: str) -> Any:
        """One boto3 client per service per backend, pool sized to the concurrency."""
        with self._lock:
            if service not in self._clients:
                import boto3
                from botocore.config import Config

                if self._session is None:  # one session: creating one loads botocore's data again
                    self._session = boto3.Session(
                        profile_name=self.config["profile"] or None, region_name=self.config["region"] or None
                    )
                session = self._session
                config = Config(
                    max_pool_connections=int(self.config["max_concurrency"]) + 4,
                    connect_timeout=10,
                    read_timeout=int(self.config["timeout_s"]) + 30,
                    retries={"total_max_attempts": 1},  # we retry ourselves, with jitter, and count it
                )
                self._clients[service] = session.client(
                    service, endpoint_url=self.config["endpoint_url"] or None, config=config
                )
            return self._clients[service]

    def report(self, stats: Any) -> dict[str, Any]:
        """Invocations, cold starts, billed GB-seconds and the estimated cost at the configured prices."""
        from podpac_exec.backends.aws_lambda.client.reports import cost_report

        if stats.invocations and getattr(stats, "node_hash", ""):
            adaptive.HISTORY.record(str(self.config["function_name"]), int(self.config["memory_mb"]),
                                    stats.node_hash, list(stats.invocations))
        report = cost_report(
            stats.invocations,
            price_per_gb_second=float(self.config["price_per_gb_second"]),
            price_per_request=float(self.config["price_per_request"]),
            emulated=self.emulated() if stats.invocations else False,
        )
        if getattr(stats, "estimate", None):
            report["estimate_vs_actual"] = adaptive.estimate_vs_actual(stats.estimate, report)
        return report

    def emulated(self) -> bool:
        """Whether Lambda is served from this machine (the offline emulator): a loopback endpoint."""
        from urllib.parse import urlsplit

        host = urlsplit(self.client("lambda").meta.endpoint_url).hostname or ""
        return host in ("localhost", "::1") or host.startswith("127.")

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()

    # -- evaluation -----------------------------------------------------------------------------

    def evaluate(self, node: "Node", coordinates: "Coordinates", options: EvaluationOptions) -> "xr.DataArray":
        payload = request_payload(
            node,
            coordinates,
            OutputSpec(self.config["compression"] or None, int(self.config["s3_threshold_bytes"])),
            options.settings.public(),
        )
        if len(payload) > SYNC_PAYLOAD_LIMIT:
            raise BackendError(
                f"the request is {len(payload)} bytes, above Lambda's {SYNC_PAYLOAD_LIMIT}-byte payload limit "
                "(inline Array data or very long coordinate lists: use a Dataset on S3 instead)"
            )
        policy = RetryPolicy.from_settings(options.settings)
        control = options.control  # the adaptive fan-out: throttles shrink its window, limits split

        def leave_to_fanout(exc: BaseException) -> bool:
            kind = adaptive.failure_kind(exc)
            return control is not None and (kind == "throttle" or (control.split_on_limit and kind in LIMIT_KINDS))

        try:
            values, dims = call_with_retries(
                lambda: call_in_window(lambda: self._invoke(payload, options, coordinates.size), control,
                                       adaptive.failure_kind, delay=policy.delay, on_throttle=options.stats.add_retry),
                policy=policy,
                retryable=lambda exc: isinstance(exc, TransientInvokeError) and not leave_to_fanout(exc),
                on_retry=lambda attempt, exc, wait: options.stats.add_retry(),
            )
        except TransientInvokeError as exc:
            if adaptive.failure_kind(exc) == "throttle" and control is not None:
                raise BackendError(
                    f"invoking {self.config['function_name']!r} was throttled {control.max_throttle_retries + 1} times "
                    f"in a row (concurrency.max_throttle_retries): {exc}"
                ) from exc
            if leave_to_fanout(exc):
                raise  # a limit: the fan-out splits the tile
            raise self._exhausted(exc, policy) from exc
        out = node.output_coordinates(coordinates)
        return result_array(values.reshape(out.shape), dims or out.dims)  # the executor adds the coordinates

    def _exhausted(self, exc: TransientInvokeError, policy: RetryPolicy) -> BackendError:
        """The error of a call whose transient failures outlasted ``retry.max_attempts``."""
        if isinstance(exc, TransientRemoteError):
            return RemoteEvaluationError(
                f"function {self.config['function_name']!r} failed {policy.max_attempts} times; last: {exc}",
                remote_type=exc.remote_type,
                remote_message=exc.remote_message,
                remote_traceback=exc.remote_traceback,
            )
        return BackendError(f"invoking {self.config['function_name']!r} failed after {policy.max_attempts} attempts: {exc}")

    def _invoke(self, payload: bytes, options: EvaluationOptions, cells: int = 0) -> tuple[Any, list[str] | None]:
        response = self._call_lambda(payload)
        report = parse_report(response.get("LogResult"))
        if report:
            report["tile"] = getattr(options.tile, "id", None)
            report["cells"] = cells  # what the estimate learns billed time per cell from
            options.stats.add_invocation(report)
        body = read_payload(response)
        if response.get("FunctionError"):
            error = remote_error(body)
            if "Runtime.OutOfMemory" in (report.get("error_type"), error.remote_type):
                raise self._out_of_memory(error, report)
            raise error
        try:
            parsed = read_response(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BackendError(f"the function answered something that is not a podpac-exec response: {exc}") from exc
        if parsed.result_s3:
            return self._fetch_s3_result(parsed.result_s3, options)
        return parsed.values, list(parsed.dims or [])

    def _out_of_memory(self, crashed: RemoteEvaluationError, report: Mapping[str, Any]) -> RemoteEvaluationError:
        """Say ``Runtime.OutOfMemory`` (the REPORT's; the error itself may only say ``signal: killed``)."""
        size = report.get("memory_mb") or self.config["memory_mb"]
        return RemoteEvaluationError(
            f"remote Runtime.OutOfMemory: the function ran out of its {size:.0f} MB "
            f"(max memory used {report.get('max_memory_mb', size):.0f} MB); raise aws_lambda.memory_mb "
            "(then `podpac-exec aws build`) or make tiles smaller (tiling.max_tile_bytes)",
            remote_type="Runtime.OutOfMemory",
            remote_message=crashed.remote_message,
            remote_traceback=crashed.remote_traceback,
        )

    def _call_lambda(self, payload: bytes) -> dict[str, Any]:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectionError as BotoConnectionError,
            NoCredentialsError,
            PartialCredentialsError,
        )

        try:
            return self.client("lambda").invoke(
                FunctionName=self.config["function_name"],
                InvocationType="RequestResponse",
                LogType="Tail",
                Payload=payload,
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            message = exc.response.get("Error", {}).get("Message", "") or str(exc)
            if code in THROTTLE_CODES or status == 429:
                raise ThrottledError(f"{code or status}: {message}") from exc
            if code in TRANSIENT_CODES or status >= 500:
                raise TransientInvokeError(f"{code or status}: {message}") from exc
            hint = f"; {BUILD_HINT}" if code == "ResourceNotFoundException" else ""
            raise BackendError(f"Lambda rejected the invoke ({code}): {message}{hint}") from exc
        except (NoCredentialsError, PartialCredentialsError) as exc:  # another try finds none either
            raise BackendError(
                f"no usable AWS credentials ({exc}): configure them as for the AWS CLI "
                "(environment, ~/.aws/credentials, aws_lambda.profile), or source the emulator's exports"
            ) from exc
        except (BotoConnectionError, BotoCoreError) as exc:
            raise TransientInvokeError(f"{type(exc).__name__}: {exc}") from exc

    def _fetch_s3_result(self, uri: str, options: EvaluationOptions) -> tuple[Any, list[str] | None]:
        """Download (with retries) and delete a result the function spilled to S3: its values
        and its dims (the object's ``dims`` metadata, as an inline result carries them)."""
        from botocore.exceptions import BotoCoreError, ClientError

        from podpac_exec.backends.aws_lambda.wire.codec import decode_array

        bucket, key = split_s3_uri(uri)
        s3 = self.client("s3")

        def fetch() -> tuple[bytes, str]:
            try:
                obj = s3.get_object(Bucket=bucket, Key=key)
                return obj["Body"].read(), obj.get("Metadata", {}).get("dims", "")
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                if status >= 500 or code in TRANSIENT_CODES:
                    raise TransientInvokeError(f"fetching {uri}: {code}") from exc
                raise BackendError(f"fetching the result {uri} failed: {code or exc}") from exc
            except BotoCoreError as exc:
                raise TransientInvokeError(f"fetching {uri}: {exc}") from exc

        body, dims = call_with_retries(
            fetch,
            policy=RetryPolicy.from_settings(options.settings),  # this call's retry.*, not the first one's
            retryable=lambda exc: isinstance(exc, TransientInvokeError),
        )
        try:
            s3.delete_object(Bucket=bucket, Key=key)
        except (ClientError, BotoCoreError):
            pass  # a leftover result object is harmless; the bucket's results prefix can expire them
        return decode_array(body), (dims.split(",") if dims else None)


def request_payload(node: "Node", coordinates: "Coordinates", output: OutputSpec, settings: Mapping[str, Any]) -> bytes:
    """One tile's request as JSON bytes: the pipeline goes in as the node's JSON text, which the
    node serialises once (not once per tile); the bytes equal ``json.dumps`` of the whole request."""
    # tiles must evaluate at exactly the request's values: the exact definition, not PODPAC's
    request = build_request({}, coordinates.exact_definition, output, settings)
    text = json.dumps(request, separators=(",", ":"))
    empty = '"pipeline":{}'  # the first one: only "version", a number, comes before it
    at = text.index(empty)
    return (text[:at] + '"pipeline":' + node.json + text[at + len(empty) :]).encode()


def remote_error(body: bytes) -> RemoteEvaluationError:
    """Turn a Lambda function error payload into the right exception (transient or not)."""
    try:
        error = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        error = {}
    if not isinstance(error, dict):
        error = {}
    etype = str(error.get("errorType", "Unknown"))
    message = str(error.get("errorMessage", body[:500].decode("utf-8", "replace")))
    trace = error.get("stackTrace") or []
    trace = [str(line) for line in trace] if isinstance(trace, list) else [str(trace)]
    field = error.get("field")
    cls = TransientRemoteError if etype in TRANSIENT_REMOTE_ERRORS or "Task timed out" in message else RemoteEvaluationError
    return cls(f"remote {etype}: {message}", remote_type=etype, remote_message=message, remote_traceback=trace,
               remote_field=str(field) if isinstance(field, str) and field else None)

