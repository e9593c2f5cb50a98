"""The S3 trigger: the bucket's notification of new inputs and Lambda's permission to receive it."""

from __future__ import annotations

import json
from typing import Any

from podpac_exec.backends.aws_lambda.resources.context import Context, Target, is_not_found


def _permission_statements(lam: Any, name: str) -> dict[str, dict[str, Any]]:
    try:
        policy = json.loads(lam.get_policy(FunctionName=name)["Policy"])
    except Exception as exc:
        if is_not_found(exc):
            return {}
        raise
    return {s.get("Sid", ""): s for s in policy.get("Statement", [])}


def _notification_configuration(s3: Any, bucket: str) -> dict[str, Any]:
    config = s3.get_bucket_notification_configuration(Bucket=bucket)
    config.pop("ResponseMetadata", None)
    return config


def _wanted_notification(t: Target, function_arn: str) -> dict[str, Any]:
    rules = [{"Name": "prefix", "Value": t.key("input") + "/"}, {"Name": "suffix", "Value": ".json"}]
    return {"Id": t.trigger_id, "LambdaFunctionArn": function_arn, "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": rules}}}  # fmt: skip


def _notification_key(entry: dict[str, Any]) -> tuple[Any, ...]:
    rules = entry.get("Filter", {}).get("Key", {}).get("FilterRules", [])
    return (
        entry.get("LambdaFunctionArn"),
        tuple(sorted(entry.get("Events", []))),
        tuple(sorted((r["Name"].lower(), r["Value"]) for r in rules)),
    )


def converge_s3_trigger(ctx: Context, function_arn: str, enabled: bool | None) -> None:
    """``True``: invoke permission for S3 plus a notification (``<prefix>/input/*.json``) merged
    into the bucket's others; ``False``: remove both; ``None``: leave them as they are."""
    if enabled is False:
        remove_s3_trigger(ctx)
        return
    t, s3, lam = ctx.target, ctx.clients.s3, ctx.clients.lam
    config = _notification_configuration(s3, t.bucket) if ctx.bucket_exists else {}
    entries = config.get("LambdaFunctionConfigurations", [])
    ours = [e for e in entries if e.get("Id") == t.trigger_id]
    if enabled is None:
        if ours:
            ctx.record("s3 trigger", t.trigger_id, "unchanged", exists=True, up_to_date=True, detail="configured")
        else:
            ctx.record("s3 trigger", t.trigger_id, "skipped", exists=False, up_to_date=None, detail="not requested (--s3-trigger)")
        return
    statement = _permission_statements(lam, t.function_name).get(t.permission_sid)
    source = ((statement or {}).get("Condition") or {}).get("ArnLike", {}).get("AWS:SourceArn")

    def permit() -> None:
        if statement is not None:
            lam.remove_permission(FunctionName=t.function_name, StatementId=t.permission_sid)
        lam.add_permission(
            FunctionName=t.function_name, StatementId=t.permission_sid, Action="lambda:InvokeFunction",
            Principal="s3.amazonaws.com", SourceArn=t.bucket_arn, SourceAccount=t.account,
        )  # fmt: skip

    ctx.converge("invoke permission", t.permission_sid, exists=statement is not None,
                 up_to_date=source == t.bucket_arn, change=permit, detail="s3.amazonaws.com")  # fmt: skip
    wanted = _wanted_notification(t, function_arn)
    others = [e for e in entries if e.get("Id") != t.trigger_id]
    same = bool(ours) and _notification_key(ours[0]) == _notification_key(wanted)
    ctx.converge(
        "s3 trigger", t.trigger_id, exists=bool(ours), up_to_date=same, detail=f"{t.key('input')}/*.json -> {t.key('output')}/",
        change=lambda: s3.put_bucket_notification_configuration(
            Bucket=t.bucket, NotificationConfiguration={**config, "LambdaFunctionConfigurations": others + [wanted]}),
    )  # fmt: skip


def remove_s3_trigger(ctx: Context) -> None:
    """Our notification entry (the bucket's others stay) and the invoke permission."""
    t, s3, lam = ctx.target, ctx.clients.s3, ctx.clients.lam
    if ctx.bucket_exists:
        config = _notification_configuration(s3, t.bucket)
        entries = config.get("LambdaFunctionConfigurations", [])
        others = [e for e in entries if e.get("Id") != t.trigger_id]
        if len(others) != len(entries):
            new = {**config, "LambdaFunctionConfigurations": others}
            ctx.remove("s3 trigger", t.trigger_id,
                       lambda: s3.put_bucket_notification_configuration(Bucket=t.bucket, NotificationConfiguration=new))
    if t.permission_sid in _permission_statements(lam, t.function_name):
        ctx.remove("invoke permission", t.permission_sid,
                   lambda: lam.remove_permission(FunctionName=t.function_name, StatementId=t.permission_sid))
