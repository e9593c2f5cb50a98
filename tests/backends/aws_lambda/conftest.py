"""Fixtures of the AWS Lambda backend tests: the offline emulator and helpers to deploy small handlers."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from botocore.config import Config
from podpac_exec.backends.aws_lambda.emulator import Emulator

NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=120)


def make_zip(files: dict[str, str | bytes]) -> bytes:
    """A zip holding ``files`` (name -> content)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buf.getvalue()


@pytest.fixture
def zip_of() -> Callable[[dict[str, str | bytes]], bytes]:
    """``make_zip`` as a fixture (test modules here are not importable packages)."""
    return make_zip


@pytest.fixture
def lambda_client(aws_emulator: Emulator) -> Any:
    """A Lambda client without retries (so throttles and errors surface as they come)."""
    return aws_emulator.client("lambda", config=NO_RETRIES)


@pytest.fixture
def role_arn(aws_emulator: Emulator) -> str:
    """An IAM role Lambda accepts (moto checks that it exists)."""
    iam = aws_emulator.client("iam")
    return iam.create_role(RoleName="lambda-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]


@pytest.fixture
def deploy(lambda_client: Any, role_arn: str) -> Callable[..., str]:
    """``deploy(source, name=..., **create_function_kwargs)``: a function whose ``h.py`` is ``source``."""

    def _deploy(
        source: str | None = None, name: str = "fn", files: dict[str, str | bytes] | None = None, **kwargs: Any
    ) -> str:
        spec: dict[str, Any] = {"Runtime": "python3.12", "Handler": "h.handler", "MemorySize": 128, "Timeout": 3}
        spec.update(kwargs)
        if "Code" not in spec:
            spec["Code"] = {"ZipFile": make_zip({**({"h.py": source} if source else {}), **(files or {})})}
        lambda_client.create_function(FunctionName=name, Role=role_arn, **spec)
        return name

    return _deploy
