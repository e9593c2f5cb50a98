"""``podpac-exec aws build``, ``status``, ``delete`` and ``logs``: the function's AWS resources.

:func:`build` converges, idempotently, the IAM role and its least-privilege policy (or uses a
given role ARN), the bucket, the staged artifacts (uploaded only when their sha256 differs), the
log group, layer versions (layers mode), the function (code from the local zip or from
``function_source_*`` objects; configuration; environment) and, on request, the S3 trigger.
A build with nothing changed makes no mutating AWS call; every report counts them.

:func:`status` runs the same comparisons without changing anything; :func:`delete` removes what
build created (found by tags) and only objects under the managed prefix.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podpac_exec.backends.aws_lambda.packaging.core import file_sha256
from podpac_exec.backends.aws_lambda.resources.context import (
    BuildError,
    BuildInputError,
    Clients,
    Context,
    DIRECT_UPLOAD_LIMIT,
    MutationCounter,
    ROLE_PROPAGATION_RETRY,
    ResourceResult,
    Target,
    is_not_found,
)
from podpac_exec.backends.aws_lambda.resources.iam import caller_identity, converge_role, delete_role
from podpac_exec.backends.aws_lambda.resources.lambda_function import (
    CodeSource,
    converge_function,
    delete_function,
    desired_configuration,
)
from podpac_exec.backends.aws_lambda.resources.layers import converge_layers, delete_layers
from podpac_exec.backends.aws_lambda.resources.logs import converge_log_group, delete_log_group
from podpac_exec.backends.aws_lambda.resources.s3 import (
    bucket_exists,
    converge_bucket,
    converge_results_expiry,
    copy_object,
    delete_bucket,
    delete_prefix_objects,
    object_sha256,
    remove_results_expiry,
    stage_file,
    stored_sha256,
)
from podpac_exec.backends.aws_lambda.resources.s3_trigger import converge_s3_trigger, remove_s3_trigger
from podpac_exec.backends.aws_lambda.resources.function_url import (
    ENV_CACHE_S3,
    ENV_SERVED,
    check_url_options,
    converge_function_url,
    stage_served,
)
from podpac_exec.engine.retry import RetryPolicy
from podpac_exec.errors import NotFoundError

__all__ = [
    "BuildError",
    "BuildInputError",
    "BuildOptions",
    "BuildReport",
    "LogEvent",
    "MutationCounter",
    "ResourceResult",
    "build",
    "delete",
    "fetch_logs",
    "function_environment",
    "resolve_target",
    "status",
]

DEFAULT_DIST_ZIP = Path("build/aws_lambda/podpac_dist.zip")
DEFAULT_DEPS_ZIP = Path("build/aws_lambda/podpac_deps.zip")
DEFAULT_HANDLER = "handler.handler"
#: Build-only defaults (not [aws_lambda] settings yet): results expire after a day, logs after two weeks.
RESULTS_EXPIRATION_DAYS = 1
LOG_RETENTION_DAYS = 14
#: Lambda's limit on the environment: keys plus values.
ENVIRONMENT_LIMIT_BYTES = 4096

ENV_DEPS_BUCKET = "PODPAC_LAMBDA_DEPS_BUCKET"
ENV_DEPS_KEY = "PODPAC_LAMBDA_DEPS_KEY"
ENV_DEPS_SHA256 = "PODPAC_LAMBDA_DEPS_SHA256"
ENV_RESULTS_BUCKET = "PODPAC_LAMBDA_RESULTS_BUCKET"
ENV_PREFIX = "PODPAC_LAMBDA_PREFIX"
ENV_ALLOWED_HASHES = "PODPAC_LAMBDA_ALLOWED_PIPELINE_HASHES"
ENV_DATASET_BUCKETS = "PODPAC_EXEC_SOURCES__ALLOWED_BUCKETS"


@dataclass(frozen=True)
class BuildOptions:
    """What one build uses besides settings.

    ``s3_trigger``: True adds the S3 trigger, False removes it, None leaves it as it is.
    ``layer_zips`` switches to layers mode (no staged dependencies zip).
    """

    dist_zip: Path | None = None
    deps_zip: Path | None = None
    layer_zips: tuple[Path, ...] = ()
    role_arn: str | None = None
    s3_trigger: bool | None = None
    upload_only: bool = False
    from_s3: bool = False
    results_expiration_days: int = RESULTS_EXPIRATION_DAYS
    log_retention_days: int = LOG_RETENTION_DAYS
    role_retry: RetryPolicy = ROLE_PROPAGATION_RETRY
    direct_upload_limit: int = DIRECT_UPLOAD_LIMIT
    #: the function URL: None leaves it as it is, "off" removes it, "AWS_IAM" or "NONE" (needs public)
    function_url: str | None = None
    public: bool = False
    #: ``NAME=FILE`` pipelines the function serves over HTTP; None keeps what it serves now
    serve: tuple[str, ...] | None = None


@dataclass
class BuildReport:
    """Each resource with the action taken, and the mutating AWS operations made (``service.Operation``)."""

    operation: str
    function_name: str
    function_arn: str
    bucket: str
    resources: list[ResourceResult] = field(default_factory=list)
    mutating_operations: list[str] = field(default_factory=list)
    retries: int = 0

    @property
    def mutating_calls(self) -> int:
        return len(self.mutating_operations)

    @property
    def changed(self) -> bool:
        return any(r.changed for r in self.resources)

    @property
    def up_to_date(self) -> bool:
        return all((r.exists and r.up_to_date is True) or r.action == "skipped" for r in self.resources)

    def get(self, kind: str, name: str | None = None) -> ResourceResult:
        """The first resource of ``kind`` (and ``name`` when given)."""
        for r in self.resources:
            if r.kind == kind and (name is None or r.name == name):
                return r
        raise KeyError(f"no {kind!r} resource{f' named {name!r}' if name else ''} in the report")

    def actions(self) -> dict[str, str]:
        """``"kind name" -> action`` for every resource."""
        return {f"{r.kind} {r.name}": r.action for r in self.resources}


@dataclass(frozen=True)
class LogEvent:
    timestamp_ms: int
    stream: str
    message: str


# -- settings -> target --------------------------------------------------------------------------------


def default_bucket(function_name: str, account: str, region: str) -> str:
    """``<function>-<account>-<region>``, made a valid bucket name."""
    name = re.sub(r"[^a-z0-9-]", "-", f"{function_name}-{account}-{region}".lower()).strip("-")
    return name[:63].rstrip("-")


def _check_range(config: dict[str, Any], key: str, low: int, high: int) -> int:
    value = int(config[key])
    if not low <= value <= high:
        raise BuildInputError(f"must be within {low}..{high}, got {value}", field=f"aws_lambda.{key}")
    return value


def _allowed_hashes(value: Any) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value or [])
    return tuple(h.strip() for h in items if str(h).strip())


def resolve_target(config: dict[str, Any], sts: Any, role_arn: str | None = None) -> Target:
    """The names and configuration of everything build manages, from ``[aws_lambda]`` settings."""
    name = str(config["function_name"])
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        raise BuildInputError(f"{name!r} is not a valid Lambda function name", field="aws_lambda.function_name")
    prefix = str(config["prefix"]).strip("/")
    if not prefix:
        raise BuildInputError("must not be empty: delete removes everything under it", field="aws_lambda.prefix")
    architecture = str(config["architecture"])
    if architecture not in ("x86_64", "arm64"):
        raise BuildInputError(f"must be x86_64 or arm64, got {architecture!r}", field="aws_lambda.architecture")
    account, partition = caller_identity(sts)
    region = str(config["region"] or sts.meta.region_name)
    return Target(
        function_name=name, region=region, account=account, partition=partition,
        bucket=str(config["bucket"]) or default_bucket(name, account, region), prefix=prefix,
        role_name=str(config["role_name"]), given_role_arn=str(role_arn or config["role_arn"] or ""),
        runtime=str(config["runtime"]), handler=str(config["function_handler"] or DEFAULT_HANDLER),
        architecture=architecture,
        memory_mb=_check_range(config, "memory_mb", 128, 10240),
        timeout_s=_check_range(config, "timeout_s", 1, 900),
        ephemeral_storage_mb=_check_range(config, "ephemeral_storage_mb", 512, 10240),
        allowed_hashes=_allowed_hashes(config["allowed_pipeline_hashes"]),
        dataset_buckets=tuple(str(b).strip() for b in config["dataset_buckets"] if str(b).strip()),
        source_bucket=str(config["function_source_bucket"] or ""),
        source_dist_key=str(config["function_source_dist_key"] or ""),
        source_deps_key=str(config["function_source_dependencies_key"] or ""),
    )  # fmt: skip


def function_environment(
    t: Target, deps: tuple[str, str, str] | None, served: Sequence[str] | None = None
) -> dict[str, str]:
    """The variables the handler reads; ``deps`` is (bucket, key, sha256) of the staged zip, None in
    layers mode; ``served`` the ``serve.pipelines`` entries of a function that serves HTTP."""
    env = {ENV_RESULTS_BUCKET: t.bucket, ENV_PREFIX: t.prefix, ENV_ALLOWED_HASHES: ",".join(t.allowed_hashes)}
    if served:
        env[ENV_SERVED] = ",".join(served)
        env[ENV_CACHE_S3] = f"s3://{t.bucket}/{t.key('results', 'serve-cache')}"
    if t.dataset_buckets:  # the function's Dataset source policy (podpac_exec/nodes/sources.py), a settings layer
        env[ENV_DATASET_BUCKETS] = ",".join(t.dataset_buckets)
    if deps is not None:
        env.update({ENV_DEPS_BUCKET: deps[0], ENV_DEPS_KEY: deps[1], ENV_DEPS_SHA256: deps[2]})
    size = sum(len(k.encode()) + len(v.encode()) for k, v in env.items())
    if size > ENVIRONMENT_LIMIT_BYTES:
        raise BuildInputError(
            f"the function's environment would be {size} bytes, above Lambda's {ENVIRONMENT_LIMIT_BYTES}; "
            "shorten the pipeline allowlist",
            field="aws_lambda.allowed_pipeline_hashes",
        )
    return env


# -- sessions ---------------------------------------------------------------------------------------------


def _backend(source: Any) -> tuple[Any, bool]:
    """A LambdaBackend for ``source`` (settings, a backend, or None: current settings); owned or not."""
    from podpac_exec.backends.aws_lambda.client.backend import LambdaBackend

    if isinstance(source, LambdaBackend):
        return source, False
    if source is None:
        from podpac_exec.settings import settings

        source = settings.snapshot()
    return LambdaBackend(source.section("aws_lambda")), True


@contextlib.contextmanager
def _session(
    source: Any, apply: bool, role_arn: str | None = None, role_retry: RetryPolicy = ROLE_PROPAGATION_RETRY
) -> Iterator[tuple[Context, MutationCounter]]:
    """Clients with a mutation counter attached, the resolved target, and AWS errors as BuildError."""
    from botocore.exceptions import BotoCoreError, ClientError

    backend, owned = _backend(source)
    counter = MutationCounter()
    clients: list[Any] = []
    try:
        clients = [backend.client(service) for service in ("s3", "iam", "lambda", "logs", "sts")]
        for client in clients:
            counter.attach(client)
        target = resolve_target(backend.config, clients[-1], role_arn)
        yield Context(target, Clients(*clients), apply, role_retry=role_retry), counter
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise BuildError(f"AWS {exc.operation_name} failed: {error.get('Code')}: {error.get('Message')}") from exc
    except BotoCoreError as exc:
        raise BuildError(f"AWS call failed: {exc}") from exc
    finally:
        for client in clients:
            counter.detach(client)
        if owned:
            backend.close()


def _report(operation: str, ctx: Context, counter: MutationCounter, function_arn: str = "") -> BuildReport:
    t = ctx.target
    return BuildReport(operation, t.function_name, function_arn or t.function_arn, t.bucket,
                       list(ctx.results), list(counter.operations), ctx.retries)  # fmt: skip


# -- code and dependencies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Paths:
    dist: Path
    deps: Path | None
    layers: tuple[Path, ...]


def _local_paths(options: BuildOptions, package: Any, strict: bool, need_dist: bool = True) -> _Paths:
    """The zips to use: options, else the package result, else ``build/aws_lambda/``; checked when ``strict``."""
    dist = Path(options.dist_zip or getattr(package, "dist_zip", None) or DEFAULT_DIST_ZIP)
    layers = tuple(Path(p) for p in (options.layer_zips or getattr(package, "layer_zips", None) or ()))
    explicit_deps = options.deps_zip or getattr(package, "deps_zip", None)
    deps = Path(explicit_deps) if explicit_deps else (DEFAULT_DEPS_ZIP if DEFAULT_DEPS_ZIP.exists() else None)
    if layers:
        deps = None
    if strict:
        wanted = [*([(dist, "--dist-zip")] if need_dist else []), *([(deps, "--deps-zip")] if deps else [])]
        for path, what in wanted + [(p, "--layer-zip") for p in layers]:
            if not path.is_file():
                raise BuildInputError(f"{path} not found (run `podpac-exec aws package` first, or pass {what})", field=what)
    return _Paths(dist, deps, layers)


def _local_sources(ctx: Context, options: BuildOptions, paths: _Paths) -> tuple[CodeSource, tuple[str, str, str] | None]:
    """Stage what must go through S3 (dependencies, an oversize function zip); the code and deps to use."""
    t = ctx.target
    if not paths.dist.is_file():
        code = CodeSource(None)
    elif paths.dist.stat().st_size >= options.direct_upload_limit:
        sha = file_sha256(paths.dist)
        stage_file(ctx, "function zip", paths.dist, sha, t.bucket, t.dist_key)
        code = CodeSource(sha, s3_bucket=t.bucket, s3_key=t.dist_key)
    else:
        code = CodeSource(file_sha256(paths.dist), zip_path=paths.dist)
    if paths.layers:
        return code, None
    if paths.deps is not None and paths.deps.is_file():
        sha = file_sha256(paths.deps)
        stage_file(ctx, "dependencies", paths.deps, sha, t.bucket, t.deps_key)
        return code, (t.bucket, t.deps_key, sha)
    staged = stored_sha256(ctx.clients.s3, t.bucket, t.deps_key) if ctx.bucket_exists and not ctx.apply else None
    return code, (t.bucket, t.deps_key, staged) if staged else None


def _s3_sources(ctx: Context, layers: bool) -> tuple[CodeSource, tuple[str, str, str] | None]:
    """``function_source_*``: code straight from the source object; dependencies copied into the bucket."""
    t = ctx.target
    bucket = t.source_bucket or t.bucket
    dist_key = t.source_dist_key or t.dist_key
    code = CodeSource(object_sha256(ctx.clients.s3, bucket, dist_key), s3_bucket=bucket, s3_key=dist_key)
    if layers:
        return code, None
    if t.source_deps_key:
        return code, (t.bucket, t.deps_key, copy_object(ctx, "dependencies", bucket, t.source_deps_key, t.deps_key))
    if t.source_bucket or not ctx.bucket_exists or stored_sha256(ctx.clients.s3, t.bucket, t.deps_key) is None:
        return code, None
    # `--upload-only` staged the dependencies at the default key of the function's own bucket
    return code, (t.bucket, t.deps_key, object_sha256(ctx.clients.s3, t.bucket, t.deps_key))


def _converge_all(ctx: Context, options: BuildOptions, package: Any) -> str:
    t = ctx.target
    check_url_options(options.function_url, options.public)  # before any change
    paths = _local_paths(options, package, strict=ctx.apply, need_dist=not options.from_s3)
    function_environment(t, None if paths.layers else (t.bucket, t.deps_key, "0" * 64))  # too big: fail before any change
    role_arn = converge_role(ctx)
    converge_bucket(ctx)
    converge_results_expiry(ctx, options.results_expiration_days)
    if options.from_s3:
        code, deps = _s3_sources(ctx, bool(paths.layers))
    else:
        code, deps = _local_sources(ctx, options, paths)
    converge_log_group(ctx, options.log_retention_days)
    layer_arns = converge_layers(ctx, list(paths.layers), options.direct_upload_limit)
    served = stage_served(ctx, options.serve)
    wanted = desired_configuration(t, role_arn, function_environment(t, deps, served), layer_arns)
    function_arn = converge_function(ctx, code, wanted)
    converge_s3_trigger(ctx, function_arn, options.s3_trigger)
    converge_function_url(ctx, options.function_url, options.public)
    return function_arn


def _upload(ctx: Context, options: BuildOptions, package: Any) -> None:
    """Stage the zips where ``--from-s3`` builds look for them (the seed's upload_lambda.sh)."""
    t = ctx.target
    paths = _local_paths(options, package, strict=True)
    bucket = t.source_bucket or t.bucket
    own = bucket == t.bucket
    if own:
        converge_bucket(ctx)
    elif not bucket_exists(ctx.clients.s3, bucket):
        raise BuildInputError(f"bucket {bucket!r} does not exist", field="aws_lambda.function_source_bucket")
    stage_file(ctx, "function zip", paths.dist, file_sha256(paths.dist), bucket, t.source_dist_key or t.dist_key, own)
    if paths.deps is not None:
        deps_key = t.source_deps_key or t.deps_key
        stage_file(ctx, "dependencies", paths.deps, file_sha256(paths.deps), bucket, deps_key, own)


# -- the API --------------------------------------------------------------------------------------------


def build(source: Any = None, options: BuildOptions | None = None, *, package: Any = None) -> BuildReport:
    """Converge the function's resources; ``source`` is EffectiveSettings, a LambdaBackend, or None
    (current settings); ``package`` a packaging ``PackageResult`` whose zips to use."""
    options = options or BuildOptions()
    if options.upload_only and options.from_s3:
        raise BuildInputError("--upload-only and --from-s3 exclude each other", field="--from-s3")
    with _session(source, True, options.role_arn, options.role_retry) as (ctx, counter):
        if options.upload_only:
            _upload(ctx, options, package)
            return _report("upload", ctx, counter)
        return _report("build", ctx, counter, _converge_all(ctx, options, package))


def status(source: Any = None, options: BuildOptions | None = None, *, package: Any = None) -> BuildReport:
    """What exists and whether it is up to date; makes no mutating call."""
    options = options or BuildOptions()
    with _session(source, False, options.role_arn) as (ctx, counter):
        return _report("status", ctx, counter, _converge_all(ctx, options, package))


def delete(source: Any = None, *, yes: bool = False, role_arn: str | None = None) -> BuildReport:
    """Remove what build created (by tags) and the objects under the prefix; only a preview unless ``yes``."""
    with _session(source, yes, role_arn) as (ctx, counter):
        t = ctx.target
        ctx.bucket_exists = bucket_exists(ctx.clients.s3, t.bucket)
        remove_s3_trigger(ctx)
        delete_function(ctx)
        delete_layers(ctx)
        delete_log_group(ctx)
        delete_role(ctx)
        if ctx.bucket_exists:
            delete_prefix_objects(ctx)
            remove_results_expiry(ctx)
            delete_bucket(ctx)
        else:
            ctx.record("bucket", t.bucket, "absent", exists=False, up_to_date=None)
        return _report("delete", ctx, counter)


def fetch_logs(source: Any = None, *, since_s: float = 600.0, limit: int = 100) -> list[LogEvent]:
    """The last ``limit`` events of ``/aws/lambda/<function>`` from the past ``since_s`` seconds, oldest first."""
    from botocore.exceptions import BotoCoreError, ClientError

    backend, owned = _backend(source)
    group = f"/aws/lambda/{backend.config['function_name']}"
    start = int((time.time() - since_s) * 1000)
    events: deque[LogEvent] = deque(maxlen=max(1, limit))
    try:
        pages = backend.client("logs").get_paginator("filter_log_events").paginate(logGroupName=group, startTime=start)
        for page in pages:
            events.extend(LogEvent(e["timestamp"], e.get("logStreamName", ""), e["message"]) for e in page.get("events", []))
    except ClientError as exc:
        if is_not_found(exc):
            raise NotFoundError(f"no log group {group} (has the function been built and invoked?)", field="aws_lambda.function_name") from exc
        raise BuildError(f"AWS FilterLogEvents failed: {exc}") from exc
    except BotoCoreError as exc:
        raise BuildError(f"AWS call failed: {exc}") from exc
    finally:
        if owned:
            backend.close()
    return sorted(events, key=lambda e: e.timestamp_ms)
