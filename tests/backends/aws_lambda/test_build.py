"""``podpac-exec aws build / status / logs / delete`` against the offline emulator (real boto3 clients)."""

from __future__ import annotations

import argparse
import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from podpac_exec.backends.aws_lambda.commands import aws as build_cli
from podpac_exec.backends.aws_lambda.client.backend import LambdaBackend
from podpac_exec.backends.aws_lambda.resources.build import (
    BuildError,
    BuildInputError,
    BuildOptions,
    build,
    delete,
    fetch_logs,
    status,
)
from podpac_exec.backends.aws_lambda.resources.iam_policy import function_policy
from podpac_exec.backends.aws_lambda.packaging.core import PackageResult
from podpac_exec.backends.aws_lambda.resources.context import FUNCTION_TAG, MANAGED_TAG
from podpac_exec.engine.retry import RetryPolicy
from podpac_exec.errors import NotFoundError
from podpac_exec.settings import settings

ACCOUNT = "123456789012"
BUCKET = f"fn-{ACCOUNT}-us-east-1"
HANDLER = Path(__file__).resolve().parents[3] / "dist" / "aws_lambda" / "handler.py"
#: Stands in for podpac-exec inside the dependencies zip: the real handler stages it and calls it.
REMOTE_STUB = """
import os
RUNTIME_STATE = {}
def handle_event(event, context):
    env = {k: v for k, v in os.environ.items() if k.startswith("PODPAC_LAMBDA_")}
    return {"state": dict(RUNTIME_STATE), "env": env}
def wire_answer(answer):
    return answer
"""
FAST_RETRY = RetryPolicy(max_attempts=4, base_delay_s=0.001, max_delay_s=0.002)


def write_zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path


@pytest.fixture
def zips(tmp_path: Path) -> dict[str, Path]:
    handler = HANDLER.read_text()
    helpers = {p.name: p.read_text() for p in HANDLER.parent.glob("deps_*.py")}  # the handler imports them
    package = {f"podpac_exec/{p}__init__.py": "" for p in ("", "backends/", "backends/aws_lambda/", "backends/aws_lambda/function/")}
    return {
        "dist": write_zip(tmp_path / "podpac_dist.zip", {"handler.py": handler, **helpers}),
        "dist2": write_zip(tmp_path / "dist2.zip", {"handler.py": handler + "\n# changed\n", **helpers}),
        "deps": write_zip(tmp_path / "podpac_deps.zip", {**package, "podpac_exec/backends/aws_lambda/function/remote.py": REMOTE_STUB}),
        "deps2": write_zip(tmp_path / "deps2.zip", {**package, "podpac_exec/backends/aws_lambda/function/remote.py": REMOTE_STUB + "#2\n"}),
        "layer": write_zip(tmp_path / "podpac_layer.zip", {**package, "python/podpac_exec/backends/aws_lambda/function/remote.py": REMOTE_STUB}),
    }


def config(**aws: Any) -> Any:
    values = {"function_name": "fn", "memory_mb": 256, "timeout_s": 30, "ephemeral_storage_mb": 512, **aws}
    return settings.snapshot({f"aws_lambda.{k}": v for k, v in values.items()})


@pytest.fixture
def aws(aws_emulator: Any) -> Any:
    """``aws(**settings)``: a LambdaBackend per distinct configuration, so its boto3 clients are reused."""
    made: dict[str, LambdaBackend] = {}

    def get(**values: Any) -> LambdaBackend:
        key = json.dumps(values, sort_keys=True)
        if key not in made:
            made[key] = LambdaBackend(config(**values).section("aws_lambda"))
        return made[key]

    yield get
    for backend in made.values():
        backend.close()


def local(zips: dict[str, Path], **kwargs: Any) -> BuildOptions:
    return BuildOptions(dist_zip=zips["dist"], deps_zip=zips["deps"], **kwargs)


def invoke(emu: Any, name: str = "fn", event: Any = None) -> dict[str, Any]:
    answer = emu.client("lambda").invoke(FunctionName=name, Payload=json.dumps(event or {}).encode())
    body = json.loads(answer["Payload"].read())
    assert "FunctionError" not in answer, body
    return body


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- documents ---------------------------------------------------------------------------------------


def test_role_policy_grants_only_the_prefix_and_the_log_group() -> None:
    doc = function_policy(partition="aws", region="us-east-1", account=ACCOUNT, bucket="b", prefix="/p/", function_name="f")
    grants = {(action, resource) for s in doc["Statement"] for action in s["Action"] for resource in s["Resource"]}
    group = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/f"
    assert grants == {
        ("s3:GetObject", "arn:aws:s3:::b/p/*"),
        ("s3:PutObject", "arn:aws:s3:::b/p/results/*"),
        ("s3:PutObject", "arn:aws:s3:::b/p/output/*"),
        *((a, r) for a in ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents") for r in (group, group + ":*")),
    }
    assert all(s["Effect"] == "Allow" for s in doc["Statement"])


# -- build ---------------------------------------------------------------------------------------------


def test_build_creates_everything_then_a_second_build_makes_no_mutating_call(aws: Any, aws_emulator: Any, zips: dict[str, Path]) -> None:
    before = status(aws(), local(zips))
    assert before.mutating_calls == 0 and not before.up_to_date
    assert {r.action for r in before.resources} == {"would create", "skipped"}
    assert before.get("s3 trigger").action == "skipped"

    first = build(aws(), local(zips))
    assert first.get("role").action == "created" and first.get("bucket").action == "created"
    assert first.get("function").action == "created" and first.get("dependencies").action == "created"
    assert "lambda.CreateFunction" in first.mutating_operations and first.mutating_calls >= 8

    second = build(aws(), local(zips))
    assert second.mutating_calls == 0, second.mutating_operations
    assert {r.action for r in second.resources} == {"unchanged", "skipped"} and not second.changed
    after = status(aws(), local(zips))
    assert after.up_to_date and after.mutating_calls == 0
    unknown = status(aws(), BuildOptions(dist_zip=zips["dist"].with_name("elsewhere.zip")))
    assert unknown.get("function code").action == "unknown"  # nothing local to compare with
    assert unknown.get("function config").action == "unchanged"  # the staged dependencies' sha256 is used

    iam, lam, s3, logs = (aws_emulator.client(s) for s in ("iam", "lambda", "s3", "logs"))
    policy = iam.get_role_policy(RoleName="podpac-exec-role", PolicyName="podpac-exec-fn")["PolicyDocument"]
    assert policy == function_policy(partition="aws", region="us-east-1", account=ACCOUNT, bucket=BUCKET,
                                     prefix="podpac-exec", function_name="fn")  # fmt: skip
    resources = {r for s in policy["Statement"] for r in s["Resource"]}
    assert all(r.startswith((f"arn:aws:s3:::{BUCKET}/podpac-exec/", f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/fn")) for r in resources)
    trust = iam.get_role(RoleName="podpac-exec-role")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}

    tags = {MANAGED_TAG: "true", FUNCTION_TAG: "fn"}
    conf = lam.get_function(FunctionName="fn")
    assert conf["Tags"] == tags
    assert {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName="podpac-exec-role")["Tags"]} == tags
    assert {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"]} == tags
    group = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/fn")["logGroups"][0]
    assert logs.list_tags_for_resource(resourceArn=group["logGroupArn"])["tags"] == tags
    c = conf["Configuration"]
    assert (c["MemorySize"], c["Timeout"], c["EphemeralStorage"]["Size"], c["Architectures"]) == (256, 30, 512, ["x86_64"])
    staged = s3.head_object(Bucket=BUCKET, Key="podpac-exec/artifacts/podpac_deps.zip")["Metadata"]
    assert staged == {"sha256": sha256(zips["deps"])}
    rules = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert [(r["Filter"]["Prefix"], r["Expiration"]["Days"]) for r in rules] == [("podpac-exec/results/", 1)]

    # the real handler stages the dependencies named by the environment build set, then runs them
    answer = invoke(aws_emulator)
    assert answer["state"]["deps"] == "downloaded"
    assert answer["env"] == {
        "PODPAC_LAMBDA_DEPS_BUCKET": BUCKET,
        "PODPAC_LAMBDA_DEPS_KEY": "podpac-exec/artifacts/podpac_deps.zip",
        "PODPAC_LAMBDA_DEPS_SHA256": sha256(zips["deps"]),
        "PODPAC_LAMBDA_RESULTS_BUCKET": BUCKET,
        "PODPAC_LAMBDA_PREFIX": "podpac-exec",
        "PODPAC_LAMBDA_ALLOWED_PIPELINE_HASHES": "",
    }
    assert any(e.message.startswith("START RequestId") for e in fetch_logs(aws(), since_s=300))


def test_each_change_updates_only_what_differs(aws: Any, aws_emulator: Any, zips: dict[str, Path]) -> None:
    build(aws(), local(zips))
    assert build(aws(memory_mb=512), local(zips)).mutating_operations == ["lambda.UpdateFunctionConfiguration"]
    code = build(aws(memory_mb=512), BuildOptions(dist_zip=zips["dist2"], deps_zip=zips["deps"]))
    assert code.mutating_operations == ["lambda.UpdateFunctionCode"]
    assert code.get("function config").action == "unchanged"
    deps = build(aws(memory_mb=512), BuildOptions(dist_zip=zips["dist2"], deps_zip=zips["deps2"]))
    assert deps.mutating_operations == ["s3.PutObject", "lambda.UpdateFunctionConfiguration"]
    assert deps.get("function config").detail == "Environment"
    hashes = ["a" * 64, "b" * 64]
    allow = build(aws(memory_mb=512, allowed_pipeline_hashes=hashes), BuildOptions(dist_zip=zips["dist2"], deps_zip=zips["deps2"]))
    assert allow.mutating_operations == ["lambda.UpdateFunctionConfiguration"]
    variables = aws_emulator.client("lambda").get_function_configuration(FunctionName="fn")["Environment"]["Variables"]
    assert variables["PODPAC_LAMBDA_ALLOWED_PIPELINE_HASHES"] == ",".join(hashes)
    assert "PODPAC_EXEC_SOURCES__ALLOWED_BUCKETS" not in variables
    sources = build(aws(memory_mb=512, allowed_pipeline_hashes=hashes, dataset_buckets=["public-data", "lab/shared"]),
                    BuildOptions(dist_zip=zips["dist2"], deps_zip=zips["deps2"]))  # fmt: skip
    assert sources.mutating_operations == ["lambda.UpdateFunctionConfiguration"]
    variables = aws_emulator.client("lambda").get_function_configuration(FunctionName="fn")["Environment"]["Variables"]
    assert variables["PODPAC_EXEC_SOURCES__ALLOWED_BUCKETS"] == "public-data,lab/shared"  # the function's source policy
    arch = build(aws(memory_mb=512, allowed_pipeline_hashes=hashes, dataset_buckets=["public-data", "lab/shared"],
                     architecture="arm64"),
                 BuildOptions(dist_zip=zips["dist2"], deps_zip=zips["deps2"]))  # fmt: skip
    assert arch.mutating_operations == ["lambda.UpdateFunctionCode"]  # Architectures go with the code
    conf = aws_emulator.client("lambda").get_function_configuration(FunctionName="fn")
    assert conf["MemorySize"] == 512  # (moto keeps the old Architectures on UpdateFunctionCode; AWS does not)
    assert conf["Environment"]["Variables"]["PODPAC_LAMBDA_DEPS_SHA256"] == sha256(zips["deps2"])


def test_an_oversize_function_zip_goes_through_s3(aws: Any, aws_emulator: Any, zips: dict[str, Path]) -> None:
    package = PackageResult(zips["dist"], zips["deps"], [], {}, zips["dist"].with_name("manifest.json"))
    report = build(aws(), BuildOptions(direct_upload_limit=10), package=package)
    assert report.get("function zip").action == "created"
    assert build(aws(), BuildOptions(direct_upload_limit=10), package=package).mutating_calls == 0
    conf = aws_emulator.client("lambda").get_function_configuration(FunctionName="fn")
    assert conf["CodeSize"] == zips["dist"].stat().st_size
    assert invoke(aws_emulator)["state"]["deps"] == "downloaded"


def test_a_given_role_is_used_as_is(aws: Any, aws_emulator: Any, zips: dict[str, Path], role_arn: str) -> None:
    report = build(aws(), local(zips, role_arn=role_arn))
    assert not [op for op in report.mutating_operations if op.startswith("iam.")]
    assert report.get("role").action == "given"
    assert aws_emulator.client("lambda").get_function_configuration(FunctionName="fn")["Role"] == role_arn
    assert build(aws(role_arn=role_arn), local(zips)).mutating_calls == 0
    gone = delete(aws(role_arn=role_arn), yes=True)
    assert gone.get("role").action == "kept"
    assert aws_emulator.client("iam").get_role(RoleName="lambda-role")["Role"]["Arn"] == role_arn


def test_role_propagation_error_is_retried_with_backoff(aws_emulator: Any, zips: dict[str, Path]) -> None:
    backend = LambdaBackend(config().section("aws_lambda"))
    refusals = {"left": 2}

    def not_yet(**_: Any) -> Any:
        if refusals["left"] == 0:
            return None
        refusals["left"] -= 1
        error = {"Code": "InvalidParameterValueException", "Message": "The role defined for the function cannot be assumed by Lambda."}
        return AWSResponse("https://lambda", 400, {}, None), {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}

    backend.client("lambda").meta.events.register("before-call.lambda.CreateFunction", not_yet)
    try:
        report = build(backend, local(zips, role_retry=FAST_RETRY))
        assert report.retries == 2 and report.get("function").action == "created"
        assert report.mutating_operations.count("lambda.CreateFunction") == 3
        aws_emulator.client("lambda").delete_function(FunctionName="fn")
        refusals["left"] = 10  # more than the policy allows: the error surfaces
        with pytest.raises(BuildError, match="cannot be assumed"):
            build(backend, local(zips, role_retry=FAST_RETRY))
    finally:
        backend.close()


def test_an_unmanaged_function_of_the_same_name_is_left_alone(aws: Any, aws_emulator: Any, zips: dict[str, Path], deploy: Any) -> None:
    deploy("def handler(e, c):\n    return 1\n", name="fn")
    with pytest.raises(BuildError, match="not created by podpac-exec"):
        build(aws(), local(zips))
    assert status(aws(), local(zips)).get("function").action == "not managed"
    assert delete(aws(), yes=True).get("function").action == "kept"
    aws_emulator.client("lambda").get_function(FunctionName="fn")


def test_inputs_are_checked_before_any_change(aws: Any, aws_emulator: Any, zips: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(BuildInputError, match="aws package"):
        build(aws(), BuildOptions(dist_zip=tmp_path / "missing.zip"))
    with pytest.raises(BuildInputError, match="environment"):
        build(aws(allowed_pipeline_hashes=["f" * 64] * 70), local(zips))
    with pytest.raises(BuildInputError, match="prefix"):
        build(aws(prefix="/"), local(zips))
    assert aws_emulator.client("iam").list_roles()["Roles"] == []
    assert aws_emulator.client("s3").list_buckets()["Buckets"] == []


# -- delete --------------------------------------------------------------------------------------------


def test_delete_removes_only_what_build_created(aws: Any, aws_emulator: Any, zips: dict[str, Path]) -> None:
    build(aws(), local(zips, s3_trigger=True))
    s3 = aws_emulator.client("s3")
    s3.put_object(Bucket=BUCKET, Key="someone-else/data.csv", Body=b"keep me")
    s3.put_object(Bucket=BUCKET, Key="podpac-exec-other/x", Body=b"keep me too")  # shares the prefix's first letters
    s3.put_object(Bucket=BUCKET, Key="podpac-exec/input/p.json", Body=b"{}")
    aws_emulator.wait_async()  # the put triggers the function, whose logs would re-create the log group

    preview = delete(aws())
    assert preview.mutating_calls == 0 and not preview.changed
    assert preview.get("function").action == "would delete" and preview.get("objects").action == "would delete"
    assert preview.get("bucket").action == "kept"

    report = delete(aws(), yes=True)
    assert report.get("function").action == "deleted" and report.get("role").action == "deleted"
    assert report.get("log group").action == "deleted" and report.get("objects").detail == "2 object(s)"
    assert report.get("bucket").action == "kept"
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert keys == ["podpac-exec-other/x", "someone-else/data.csv"]
    assert s3.get_bucket_notification_configuration(Bucket=BUCKET).get("LambdaFunctionConfigurations", []) == []
    assert delete(aws(), yes=True).mutating_calls == 0  # nothing of ours is left

    s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in keys]})
    assert delete(aws(), yes=True).get("bucket").action == "deleted"
    assert BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_a_users_bucket_is_used_as_is_and_never_deleted(aws: Any, aws_emulator: Any, zips: dict[str, Path]) -> None:
    s3 = aws_emulator.client("s3")
    s3.create_bucket(Bucket="users-bucket")
    s3.put_object(Bucket="users-bucket", Key="data/x.tif", Body=b"1")
    report = build(aws(bucket="users-bucket"), local(zips))
    assert report.get("bucket").action == "unchanged"
    assert not {"s3.CreateBucket", "s3.PutBucketTagging"} & set(report.mutating_operations)
    gone = delete(aws(bucket="users-bucket"), yes=True)
    assert gone.get("bucket").action == "kept" and gone.get("bucket").detail == "not created by this build"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="users-bucket")["Contents"]] == ["data/x.tif"]
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchLifecycleConfiguration"):
        s3.get_bucket_lifecycle_configuration(Bucket="users-bucket")  # our rule went, and there was no other


# -- the S3 trigger ----------------------------------------------------------------------------------------


def test_s3_trigger_merges_with_the_buckets_other_notifications(aws: Any, aws_emulator: Any, zips: dict[str, Path], deploy: Any) -> None:
    s3, lam = aws_emulator.client("s3"), aws_emulator.client("lambda")
    other_arn = lam.get_function(FunctionName=deploy("def handler(e, c):\n    return 1\n", name="other"))["Configuration"]["FunctionArn"]
    s3.create_bucket(Bucket="users-bucket")
    theirs = {"Id": "theirs", "LambdaFunctionArn": other_arn, "Events": ["s3:ObjectRemoved:*"]}
    s3.put_bucket_notification_configuration(Bucket="users-bucket", NotificationConfiguration={"LambdaFunctionConfigurations": [theirs]})

    report = build(aws(bucket="users-bucket"), local(zips, s3_trigger=True))
    assert report.get("s3 trigger").action == "created" and report.get("invoke permission").action == "created"
    entries = {e["Id"]: e for e in s3.get_bucket_notification_configuration(Bucket="users-bucket")["LambdaFunctionConfigurations"]}
    assert set(entries) == {"theirs", "podpac-exec-fn-input"}
    ours = entries["podpac-exec-fn-input"]
    assert ours["LambdaFunctionArn"].endswith(":function:fn") and ours["Events"] == ["s3:ObjectCreated:*"]
    assert {(r["Name"].lower(), r["Value"]) for r in ours["Filter"]["Key"]["FilterRules"]} == {("prefix", "podpac-exec/input/"), ("suffix", ".json")}
    statement = json.loads(lam.get_policy(FunctionName="fn")["Policy"])["Statement"]
    assert [s["Condition"]["ArnLike"]["AWS:SourceArn"] for s in statement] == ["arn:aws:s3:::users-bucket"]

    assert build(aws(bucket="users-bucket"), local(zips, s3_trigger=True)).mutating_calls == 0
    assert build(aws(bucket="users-bucket"), local(zips)).mutating_calls == 0  # None: left as it is
    removed = build(aws(bucket="users-bucket"), local(zips, s3_trigger=False))
    assert sorted(removed.mutating_operations) == ["lambda.RemovePermission", "s3.PutBucketNotificationConfiguration"]
    left = s3.get_bucket_notification_configuration(Bucket="users-bucket")["LambdaFunctionConfigurations"]
    assert [e["Id"] for e in left] == ["theirs"]


# -- the seed's two workflows: local zips, or zips staged in S3 ---------------------------------------


def test_upload_only_then_build_from_s3(aws: Any, aws_emulator: Any, zips: dict[str, Path]) -> None:
    s3 = aws_emulator.client("s3")
    s3.create_bucket(Bucket="artifacts-src")
    source = {"function_source_bucket": "artifacts-src", "function_source_dist_key": "v1/podpac_dist.zip",
              "function_source_dependencies_key": "v1/podpac_deps.zip"}  # fmt: skip
    staged = build(aws(**source), local(zips, upload_only=True))
    assert staged.operation == "upload" and sorted(staged.mutating_operations) == ["s3.PutObject", "s3.PutObject"]
    assert s3.head_object(Bucket="artifacts-src", Key="v1/podpac_dist.zip")["Metadata"] == {"sha256": sha256(zips["dist"])}
    assert build(aws(**source), local(zips, upload_only=True)).mutating_calls == 0

    report = build(aws(**source), BuildOptions(from_s3=True))
    assert report.get("function").detail.startswith("s3://artifacts-src/v1/podpac_dist.zip")
    assert report.get("dependencies").detail == "from s3://artifacts-src/v1/podpac_deps.zip"
    assert "s3.CopyObject" in report.mutating_operations
    assert build(aws(**source), BuildOptions(from_s3=True)).mutating_calls == 0
    assert invoke(aws_emulator)["env"]["PODPAC_LAMBDA_DEPS_BUCKET"] == BUCKET  # a copy the role may read

    with pytest.raises(BuildInputError):
        build(aws(**source), BuildOptions(from_s3=True, upload_only=True))


# -- layers mode ----------------------------------------------------------------------------------------------


def test_layers_are_published_only_when_their_content_changes(aws: Any, aws_emulator: Any, zips: dict[str, Path], tmp_path: Path) -> None:
    options = BuildOptions(dist_zip=zips["dist"], layer_zips=(zips["layer"],))
    first = build(aws(), options)
    assert first.get("layer").action == "created" and "dependencies" not in {r.kind for r in first.resources}
    assert build(aws(), options).mutating_calls == 0

    changed = write_zip(tmp_path / "podpac_layer.zip", {"python/podpac_exec/__init__.py": "# v2\n"})
    again = build(aws(), BuildOptions(dist_zip=zips["dist"], layer_zips=(changed,)))
    assert again.mutating_operations == ["lambda.PublishLayerVersion", "lambda.UpdateFunctionConfiguration"]
    conf = aws_emulator.client("lambda").get_function_configuration(FunctionName="fn")
    assert [layer["Arn"].rsplit(":", 1)[1] for layer in conf["Layers"]] == ["2"]
    assert not [k for k in conf["Environment"]["Variables"] if k.startswith("PODPAC_LAMBDA_DEPS")]

    gone = delete(aws(), yes=True)
    assert sorted(r.name for r in gone.resources if r.kind == "layer") == ["fn-podpac_layer:1", "fn-podpac_layer:2"]
    assert aws_emulator.client("lambda").list_layer_versions(LayerName="fn-podpac_layer")["LayerVersions"] == []


# -- CLI --------------------------------------------------------------------------------------------------------


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="podpac-exec aws")
    build_cli.add_aws_parsers(parser.add_subparsers(dest="aws_command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_build_status_logs_delete(aws_emulator: Any, zips: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--set", "aws_lambda.function_name=fn", "--set", "aws_lambda.memory_mb=256"]
    zip_args = ["--dist-zip", str(zips["dist"]), "--deps-zip", str(zips["deps"])]
    assert run_cli(["build", *zip_args, *common]) == 0
    out = capsys.readouterr().out
    assert "function" in out and "created" in out and "mutating AWS call(s)" in out

    assert run_cli(["status", *zip_args, *common]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["resource", "name", "exists", "up", "to", "date", "detail"]
    assert "up to date" in out.splitlines()[-1]

    invoke(aws_emulator)
    assert run_cli(["logs", "--since", "5m", "--limit", "2", *common]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and "REPORT RequestId" in lines[-1]

    assert run_cli(["delete", *common]) == 0  # a dry run that lists what would go is a success
    out = capsys.readouterr().out
    assert "would delete" in out and "dry run: nothing deleted; pass --yes" in out
    assert run_cli(["delete", "--yes", *common]) == 0
    assert "deleted" in capsys.readouterr().out
    with pytest.raises(NotFoundError, match="no log group"):
        run_cli(["logs", *common])


def test_cli_build_ends_by_asking_the_function_once(aws_emulator: Any, zips: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """The verify step: one identify invocation after the build; --no-verify skips it."""
    common = ["--set", "aws_lambda.function_name=fn", "--set", "aws_lambda.memory_mb=256"]
    zip_args = ["--dist-zip", str(zips["dist"]), "--deps-zip", str(zips["deps"])]
    assert run_cli(["build", "--no-verify", *zip_args, *common]) == 0
    assert "verif" not in capsys.readouterr().out
    assert not [e for e in fetch_logs(config()) if e.message.startswith("REPORT")]
    assert run_cli(["build", *zip_args, *common]) == 0
    # the stub is not podpac-exec's handler: said, not refused
    assert capsys.readouterr().out.splitlines()[-1] == (
        "verify: function 'fn' answered, but not as podpac-exec's handler does")
    reports = [e.message for e in fetch_logs(config()) if e.message.startswith("REPORT")]
    assert len(reports) == 1 and "Init Duration" in reports[0]  # it paid the cold start


def test_cli_build_fails_when_the_function_cannot_start(aws_emulator: Any, zips: dict[str, Path], tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    broken = write_zip(tmp_path / "broken.zip", {"handler.py": "raise ImportError('no module named numpy')\n"})
    common = ["--set", "aws_lambda.function_name=fn", "--set", "aws_lambda.memory_mb=256"]
    assert run_cli(["build", "--dist-zip", str(broken), "--deps-zip", str(zips["deps"]), *common]) == 1
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.startswith("verify: function 'fn' failed: ") and "no module named numpy" in line


def test_cli_exit_codes_when_nothing_exists(aws_emulator: Any, zips: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """docs/cli.md: 3 when there is nothing to show or delete, through the real entry point."""
    from podpac_exec.cli.main import main

    common = ["--set", "aws_lambda.function_name=never-built"]
    assert main(["aws", "status", "--dist-zip", str(zips["dist"]), "--deps-zip", str(zips["deps"]), *common]) == 3
    assert "nothing exists for function 'never-built': run `podpac-exec aws build`" in capsys.readouterr().out
    assert main(["aws", "delete", *common]) == 3
    assert "nothing to delete" in capsys.readouterr().out
    assert main(["aws", "logs", *common]) == 3
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no log group /aws/lambda/never-built" in err


def test_parse_since() -> None:
    assert [build_cli.parse_since(t) for t in ("30s", "10m", "2h", "1d", "45")] == [30, 600, 7200, 86400, 45]
    with pytest.raises(BuildInputError):
        build_cli.parse_since("yesterday")
