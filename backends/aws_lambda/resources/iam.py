"""IAM (and STS): the caller's identity, the function's role and its inline policy."""

from __future__ import annotations

import json
from typing import Any

from podpac_exec.backends.aws_lambda.resources import iam_policy
from podpac_exec.backends.aws_lambda.resources.context import Context, _unmanaged, is_not_found, tag_dict


def caller_identity(sts: Any) -> tuple[str, str]:
    """(account id, partition) of the credentials in use."""
    ident = sts.get_caller_identity()
    return ident["Account"], ident["Arn"].split(":")[1]


def get_role(iam: Any, name: str) -> dict[str, Any] | None:
    try:
        return iam.get_role(RoleName=name)["Role"]
    except Exception as exc:
        if is_not_found(exc):
            return None
        raise


def converge_role(ctx: Context) -> str:
    """The role (trust policy for Lambda, tags) and its inline policy; returns the role ARN."""
    t, iam = ctx.target, ctx.clients.iam
    if t.given_role_arn:
        ctx.record("role", t.given_role_arn, "given", exists=True, up_to_date=True, detail="aws_lambda.role_arn, used as is")
        return t.given_role_arn
    trust = iam_policy.trust_policy()
    role = get_role(iam, t.role_name)
    if role is None:

        def create() -> None:
            iam.create_role(
                RoleName=t.role_name, AssumeRolePolicyDocument=json.dumps(trust),
                Description=f"podpac-exec function {t.function_name}", Tags=t.tag_list,
            )  # fmt: skip
            iam.get_waiter("role_exists").wait(RoleName=t.role_name)

        ctx.converge("role", t.role_name, exists=False, up_to_date=False, change=create)
    elif not t.owns(tag_dict(role.get("Tags")), any_function=True):
        _unmanaged(ctx, "role", t.role_name)
        return role["Arn"]
    else:
        same = iam_policy.canonical(role["AssumeRolePolicyDocument"]) == iam_policy.canonical(trust)
        ctx.converge(
            "role", t.role_name, exists=True, up_to_date=same, detail="" if same else "trust policy differs",
            change=lambda: iam.update_assume_role_policy(RoleName=t.role_name, PolicyDocument=json.dumps(trust)),
        )  # fmt: skip
    _converge_role_policy(ctx, role is not None)
    return role["Arn"] if role else t.role_arn


def _converge_role_policy(ctx: Context, role_exists: bool) -> None:
    t, iam = ctx.target, ctx.clients.iam
    wanted = t.policy()
    current = None
    if role_exists:
        try:
            current = iam.get_role_policy(RoleName=t.role_name, PolicyName=t.policy_name)["PolicyDocument"]
        except Exception as exc:
            if not is_not_found(exc):
                raise
    ctx.converge(
        "role policy", t.policy_name, exists=current is not None,
        up_to_date=current is not None and iam_policy.canonical(current) == iam_policy.canonical(wanted),
        change=lambda: iam.put_role_policy(RoleName=t.role_name, PolicyName=t.policy_name, PolicyDocument=json.dumps(wanted)),
    )  # fmt: skip


def delete_role(ctx: Context) -> None:
    """Our inline policy; then the role if podpac-exec created it and nothing else is attached."""
    t, iam = ctx.target, ctx.clients.iam
    if t.given_role_arn:
        ctx.record("role", t.given_role_arn, "kept", exists=True, up_to_date=None, detail="given, not managed")
        return
    role = get_role(iam, t.role_name)
    if role is None:
        ctx.record("role", t.role_name, "absent", exists=False, up_to_date=None)
        return
    inline = iam.list_role_policies(RoleName=t.role_name)["PolicyNames"]
    if t.policy_name in inline:
        ctx.remove("role policy", t.policy_name, lambda: iam.delete_role_policy(RoleName=t.role_name, PolicyName=t.policy_name))
    others = [p for p in inline if p != t.policy_name]
    attached = iam.list_attached_role_policies(RoleName=t.role_name)["AttachedPolicies"]
    if not t.owns(tag_dict(role.get("Tags")), any_function=True):
        ctx.record("role", t.role_name, "kept", exists=True, up_to_date=None, detail="not created by podpac-exec")
    elif others or attached:
        detail = f"still has policies: {', '.join(others + [a['PolicyName'] for a in attached])}"
        ctx.record("role", t.role_name, "kept", exists=True, up_to_date=None, detail=detail)
    else:
        ctx.remove("role", t.role_name, lambda: iam.delete_role(RoleName=t.role_name))
