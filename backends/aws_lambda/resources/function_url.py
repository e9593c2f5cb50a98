"""The function URL and the pipelines the function serves (``aws build --function-url``, ``--serve``).

A URL's auth type is ``AWS_IAM`` (callers sign with SigV4) unless ``NONE`` is asked for together
with ``public=True``; a NONE URL also needs the resource-policy statement letting anyone invoke
it, which an AWS_IAM URL must not keep. Served pipelines are uploaded under ``<prefix>/serve/``
(the role may read ``<prefix>/*``) and named in the function's ``PODPAC_EXEC_SERVE__PIPELINES``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

from podpac_exec.backends.aws_lambda.resources.context import BuildInputError, Context, is_not_found
from podpac_exec.backends.aws_lambda.resources.lambda_function import get_function
from podpac_exec.backends.aws_lambda.resources.s3 import stage_file
from podpac_exec.backends.aws_lambda.resources.s3_trigger import _permission_statements

AUTH_TYPES = ("AWS_IAM", "NONE")
PUBLIC_SID = "podpac-exec-function-url-public"
ENV_SERVED = "PODPAC_EXEC_SERVE__PIPELINES"
#: where a serving function keeps encoded tiles, shared by its containers: under results/, which
#: the role may write and the results lifecycle rule expires
ENV_CACHE_S3 = "PODPAC_EXEC_SERVE__CACHE_S3"
PUBLIC_WARNING = (
    "warning: the function URL has auth type NONE: anyone who finds it can invoke the function "
    "(and pay for it); keep serve.api_token set or use AWS_IAM"
)


def check_url_options(auth_type: str | None, public: bool) -> None:
    """``auth_type`` None (leave the URL as it is), ``off`` (remove it) or one of :data:`AUTH_TYPES`."""
    if auth_type is None or auth_type == "off":
        return
    if auth_type not in AUTH_TYPES:
        raise BuildInputError(f"--function-url must be AWS_IAM, NONE or off, got {auth_type!r}", field="--function-url")
    if auth_type == "NONE" and not public:
        raise BuildInputError("a NONE function URL is open to anyone: add --public to mean it", field="--function-url")


def _url_config(lam: Any, name: str) -> dict[str, Any] | None:
    try:
        return lam.get_function_url_config(FunctionName=name)
    except Exception as exc:
        if is_not_found(exc):
            return None
        raise


def converge_function_url(ctx: Context, auth_type: str | None, public: bool) -> str:
    """Create, update or remove the URL (and the public permission); returns the URL or ``""``."""
    check_url_options(auth_type, public)
    t, lam = ctx.target, ctx.clients.lam
    exists = get_function(lam, t.function_name) is not None
    current = _url_config(lam, t.function_name) if exists else None
    if auth_type is None:
        if current:
            ctx.record("function url", current["FunctionUrl"], "unchanged", exists=True, up_to_date=True,
                       detail=current.get("AuthType", ""))  # fmt: skip
        return current["FunctionUrl"] if current else ""
    statements = _permission_statements(lam, t.function_name) if exists else {}
    if auth_type == "off":
        if current:
            ctx.remove("function url", current["FunctionUrl"], lambda: lam.delete_function_url_config(FunctionName=t.function_name))
        if PUBLIC_SID in statements:
            ctx.remove("url permission", PUBLIC_SID, lambda: lam.remove_permission(FunctionName=t.function_name, StatementId=PUBLIC_SID))
        return ""

    def change() -> None:
        if current:
            lam.update_function_url_config(FunctionName=t.function_name, AuthType=auth_type)
        else:
            lam.create_function_url_config(FunctionName=t.function_name, AuthType=auth_type)

    ctx.converge("function url", current["FunctionUrl"] if current else t.function_name, exists=current is not None,
                 up_to_date=bool(current) and current.get("AuthType") == auth_type, change=change, detail=auth_type)  # fmt: skip
    if auth_type == "NONE":
        ctx.converge(
            "url permission", PUBLIC_SID, exists=PUBLIC_SID in statements, up_to_date=PUBLIC_SID in statements,
            detail="lambda:InvokeFunctionUrl by anyone",
            change=lambda: lam.add_permission(FunctionName=t.function_name, StatementId=PUBLIC_SID, Principal="*",
                                              Action="lambda:InvokeFunctionUrl", FunctionUrlAuthType="NONE"),
        )  # fmt: skip
    elif PUBLIC_SID in statements:
        ctx.remove("url permission", PUBLIC_SID, lambda: lam.remove_permission(FunctionName=t.function_name, StatementId=PUBLIC_SID))
    final = _url_config(lam, t.function_name) if ctx.apply else current
    url = final["FunctionUrl"] if final else ""
    if url:  # a URL created just now is named by its address, not the function's name
        ctx.results = [replace(r, name=url) if r.kind == "function url" else r for r in ctx.results]
    return url


def stage_served(ctx: Context, entries: Sequence[str] | None) -> list[str] | None:
    """Upload ``NAME=FILE`` pipelines under ``<prefix>/serve/``; the ``serve.pipelines`` entries
    naming them. ``None`` keeps what the function serves now (None when it serves nothing)."""
    t = ctx.target
    if entries is None:
        function = get_function(ctx.clients.lam, t.function_name)
        env = (((function or {}).get("Configuration") or {}).get("Environment") or {}).get("Variables") or {}
        return env[ENV_SERVED].split(",") if env.get(ENV_SERVED) else None
    out = []
    for entry in entries:
        name, sep, file = entry.partition("=")
        if not sep:
            name, file = Path(entry).stem, entry
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name):
            raise BuildInputError(f"served pipeline name {name!r} must be 1-64 letters, digits, '_', '.' or '-'", field="--serve")
        path = Path(file)
        if not path.is_file():
            raise BuildInputError(f"pipeline file {file} not found", field="--serve")
        _check_pipeline(path, t.allowed_hashes)
        key = t.key("serve", f"{name}.json")
        stage_file(ctx, "served pipeline", path, hashlib.sha256(path.read_bytes()).hexdigest(), t.bucket, key)
        out.append(f"{name}=s3://{t.bucket}/{key}")
    return out


def _check_pipeline(path: Path, allowed: Sequence[str]) -> None:
    """A served pipeline must load, and pass the function's allowlist when it has one."""
    from podpac_exec.nodes.base import Node

    node = Node.from_json(path.read_text(encoding="utf-8"))
    if allowed and node.hash not in allowed:
        raise BuildInputError(f"pipeline {path} (hash {node.hash[:12]}) is not on aws_lambda.allowed_pipeline_hashes",
                              field="--serve")  # fmt: skip
