"""CloudWatch Logs: the function's log group and its retention."""

from __future__ import annotations

from typing import Any

from podpac_exec.backends.aws_lambda.resources.context import Context, tag_dict


def get_log_group(logs: Any, name: str) -> dict[str, Any] | None:
    for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name):
        for group in page.get("logGroups", []):
            if group["logGroupName"] == name:
                return group
    return None


def _log_group_tags(logs: Any, group: dict[str, Any]) -> dict[str, str]:
    arn = group.get("logGroupArn") or group["arn"].removesuffix(":*")
    return tag_dict(logs.list_tags_for_resource(resourceArn=arn).get("tags", {}))


def converge_log_group(ctx: Context, retention_days: int) -> None:
    """``/aws/lambda/<function>``, tagged, with ``retention_days`` (0: never expire)."""
    t, logs = ctx.target, ctx.clients.logs
    group = get_log_group(logs, t.log_group)

    def set_retention() -> None:
        if retention_days > 0:
            logs.put_retention_policy(logGroupName=t.log_group, retentionInDays=retention_days)
        elif group is not None:
            logs.delete_retention_policy(logGroupName=t.log_group)

    def create() -> None:
        logs.create_log_group(logGroupName=t.log_group, tags=t.tags)
        if retention_days > 0:
            set_retention()

    detail = f"retention {retention_days} d" if retention_days > 0 else "no retention limit"
    if group is None:
        ctx.converge("log group", t.log_group, exists=False, up_to_date=False, change=create, detail=detail)
        return
    same = group.get("retentionInDays") == (retention_days if retention_days > 0 else None)
    ctx.converge("log group", t.log_group, exists=True, up_to_date=same, change=set_retention, detail=detail)


def delete_log_group(ctx: Context) -> None:
    t, logs = ctx.target, ctx.clients.logs
    group = get_log_group(logs, t.log_group)
    if group is None:
        ctx.record("log group", t.log_group, "absent", exists=False, up_to_date=None)
    elif not t.owns(_log_group_tags(logs, group)):
        ctx.record("log group", t.log_group, "kept", exists=True, up_to_date=None, detail="not created by podpac-exec")
    else:
        ctx.remove("log group", t.log_group, lambda: logs.delete_log_group(logGroupName=t.log_group))
