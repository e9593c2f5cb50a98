"""The IAM documents of the function's role: who may assume it, and the least it needs to run.

Pure functions (no boto3): the role may read its bucket prefix, write results and S3-trigger
outputs under it, and write to its own log group; nothing else.
"""

from __future__ import annotations

import json
from typing import Any

VERSION = "2012-10-17"


def trust_policy() -> dict[str, Any]:
    """Lets the Lambda service assume the role."""
    return {
        "Version": VERSION,
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }


def log_group_arn(partition: str, region: str, account: str, function_name: str) -> str:
    """The ARN of ``/aws/lambda/<function_name>`` (without the ``:*`` stream suffix)."""
    return f"arn:{partition}:logs:{region}:{account}:log-group:/aws/lambda/{function_name}"


def function_policy(
    *, partition: str, region: str, account: str, bucket: str, prefix: str, function_name: str
) -> dict[str, Any]:
    """The role's inline policy: read ``<prefix>/*``, write ``<prefix>/results/*`` and
    ``<prefix>/output/*``, and create and write the function's own log group."""
    objects = f"arn:{partition}:s3:::{bucket}/{prefix.strip('/')}"
    group = log_group_arn(partition, region, account, function_name)
    return {
        "Version": VERSION,
        "Statement": [
            {"Sid": "ReadPrefix", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"{objects}/*"]},
            {
                "Sid": "WriteResultsAndOutputs",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": [f"{objects}/results/*", f"{objects}/output/*"],
            },
            {
                "Sid": "OwnLogGroup",
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [group, f"{group}:*"],
            },
        ],
    }


def canonical(document: Any) -> str:
    """A comparable form of a policy document given as a dict or as (possibly URL-decoded) JSON text."""
    if isinstance(document, str):
        document = json.loads(document)
    return json.dumps(_normalize(document), sort_keys=True, separators=(",", ":"))


def _normalize(value: Any) -> Any:
    # IAM may return a one-element list as a bare string and vice versa: compare them as equal.
    if isinstance(value, dict):
        return {k: _normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_normalize(v) for v in value]
        return items[0] if len(items) == 1 else items
    return value
