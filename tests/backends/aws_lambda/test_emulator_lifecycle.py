"""Starting and stopping the emulator: process groups, reset, settings, the CLI entry and a light import."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from podpac_exec.backends.aws_lambda.emulator import Emulator, EmulatorError
from podpac_exec.backends.aws_lambda.emulator.procs import group_members

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(90)]

SPAWNER = """
import os, subprocess
def handler(event, context):
    child = subprocess.Popen(["sleep", "60"])
    return {"pid": os.getpid(), "child": child.pid}
"""


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (zombies count as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_gone(pgid: int, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while group_members(pgid):
        assert time.monotonic() < deadline, f"left behind in group {pgid}: {group_members(pgid)}"
        time.sleep(0.05)


def test_exit_stops_server_containers_and_their_children(tmp_path, zip_of):
    with Emulator(state_dir=tmp_path / "state") as emu:
        pgid = emu.pid
        assert pgid is not None and os.getpgid(pgid) == pgid
        role = emu.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        lam = emu.client("lambda")
        pids = []
        for name in ("a", "b"):
            lam.create_function(
                FunctionName=name,
                Role=role,
                Runtime="python3.12",
                Handler="h.handler",
                Code={"ZipFile": zip_of({"h.py": SPAWNER})},
            )
            out = json.loads(lam.invoke(FunctionName=name)["Payload"].read())
            pids += [out["pid"], out["child"]]
        assert all(_alive(p) for p in pids)
        assert {os.getpgid(p) for p in pids} == {pgid}
        assert len(group_members(pgid)) >= 5  # server, two containers, two grandchildren
    assert group_members(pgid) == []
    assert not any(_alive(p) for p in pids)
    assert emu.endpoint_url == ""


def test_server_exits_when_its_parent_dies(tmp_path):
    script = textwrap.dedent(f"""
        import os, sys
        from podpac_exec.backends.aws_lambda.emulator import Emulator
        emu = Emulator(state_dir={str(tmp_path / "state")!r}).start()
        print(emu.pid, flush=True)
        os._exit(0)  # no cleanup: the server must notice on its own
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    _wait_gone(int(out.stdout.strip()))


def test_reset_restores_settings_and_forgets_everything(aws_emulator, deploy, lambda_client):
    deploy("def handler(e, c):\n    return 1\n")
    lambda_client.invoke(FunctionName="fn")
    aws_emulator.configure(idle_timeout_s=5, account_concurrency=3)
    aws_emulator.set_faults(throttle=0.25)
    assert aws_emulator.settings()["account_concurrency"] == 3
    assert len(aws_emulator.containers()) == 1

    aws_emulator.reset()
    assert aws_emulator.containers() == []
    assert aws_emulator.settings()["account_concurrency"] == 1000
    assert aws_emulator.status()["faults"]["throttle"] == 0.0
    assert lambda_client.list_functions()["Functions"] == []


def test_bad_settings_and_faults_are_refused(aws_emulator):
    with pytest.raises(EmulatorError, match="HTTP 400"):
        aws_emulator.set_faults(crash=2.0)
    with pytest.raises(EmulatorError, match="HTTP 400"):
        aws_emulator.configure(account_concurrency=0)


def test_start_failure_is_reported(tmp_path):
    with pytest.raises(EmulatorError, match="exited during start"):
        Emulator(state_dir=tmp_path, python="/bin/false").start()


def test_cli_start_command_prints_exports_and_stops_on_interrupt(tmp_path):
    code = (
        "import faulthandler, signal; faulthandler.register(signal.SIGUSR1)\n"  # stacks, should it hang
        "from podpac_exec.backends.aws_lambda.emulator import start_command; raise SystemExit(start_command(0))"
    )
    env = dict(os.environ, PODPAC_EXEC_EMULATOR_CACHE=os.environ.get("PODPAC_EXEC_EMULATOR_CACHE", ""))
    env = {k: v for k, v in env.items() if v}
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=env,
    )
    try:
        exports = {}
        deadline = time.monotonic() + 60
        while "AWS_SESSION_TOKEN" not in exports:
            assert time.monotonic() < deadline
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            if line.startswith("export "):
                key, value = line[len("export ") :].strip().split("=", 1)
                exports[key] = value
        assert exports["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
        assert exports["AWS_ACCESS_KEY_ID"] == "testing"
        import boto3

        s3 = boto3.client(
            "s3",
            endpoint_url=exports["AWS_ENDPOINT_URL"],
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        s3.create_bucket(Bucket="cli")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["cli"]
        errors: list[str] = []
        drain = threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True)
        drain.start()  # a full stderr pipe would block the server's exit
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGUSR1)
            time.sleep(2)
            os.killpg(proc.pid, signal.SIGKILL)
            drain.join(5)
            pytest.fail(f"the emulator did not stop on SIGINT; its threads:\n{''.join(errors)[-6000:]}")
        assert code == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    _wait_gone(proc.pid)


def test_package_import_stays_light():
    heavy = ("moto", "boto3", "botocore", "werkzeug", "psutil")
    code = (
        f"import sys, podpac_exec.backends.aws_lambda.emulator; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_exported_env_points_boto3_at_the_emulator_and_puts_the_environment_back(aws_emulator, monkeypatch):
    import os

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("AWS_REGION", raising=False)
    with aws_emulator.exported_env() as env:
        assert os.environ["AWS_ENDPOINT_URL"] == aws_emulator.endpoint_url == env["AWS_ENDPOINT_URL"]
        assert aws_emulator.client("s3").list_buckets()["Buckets"] == []
    assert os.environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9" and "AWS_REGION" not in os.environ
