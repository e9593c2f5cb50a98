"""``podpac-exec emulator start`` through the real entry point: port checks, background mode, env file."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import psutil
import pytest

pytestmark = pytest.mark.timeout(120)


def run(tmp_path: Path, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """The CLI with TMPDIR in ``tmp_path/tmp`` (so leftover state directories show)."""
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    env = dict(os.environ, TMPDIR=str(tmp))
    return subprocess.run([sys.executable, "-m", "podpac_exec.cli.main", "emulator", "start", *args],
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=tmp_path)


@pytest.mark.parametrize("port", ["99999", "-1", "65536"])
def test_out_of_range_port_is_one_line_and_creates_nothing(tmp_path, port):
    proc = run(tmp_path, "--port", port)
    assert proc.returncode == 2
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and "--port must be 0..65535" in err and port in err
    assert list((tmp_path / "tmp").iterdir()) == []


def test_port_in_use_is_one_line_and_creates_nothing(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run(tmp_path, "--port", str(port))
    assert proc.returncode == 1
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and f"127.0.0.1:{port} is in use" in err, err
    assert list((tmp_path / "tmp").iterdir()) == []


def _stop(pid: int) -> None:
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the background emulator did not stop"
        time.sleep(0.1)


def test_background_with_env_file_and_state_dir(tmp_path):
    env_file, state = tmp_path / "emu.env", tmp_path / "state"
    proc = run(tmp_path, "--port", "0", "--background", "--env-file", str(env_file), "--state-dir", str(state))
    assert proc.returncode == 0, proc.stderr
    pid = int(next(l for l in proc.stdout.splitlines() if "kill " in l).split("kill ")[1].split("`")[0])
    try:
        exports = dict(l[len("export "):].split("=", 1) for l in env_file.read_text().splitlines() if l.startswith("export "))
        assert exports["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:") and f"pid {pid}" in env_file.read_text()
        s3 = boto3.client("s3", endpoint_url=exports["AWS_ENDPOINT_URL"], region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        s3.create_bucket(Bucket="from-another-shell")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["from-another-shell"]
        assert os.getsid(pid) == pid  # detached: its own session, not our terminal's
    finally:
        _stop(pid)
    assert (state / "server.log").exists()  # a given state directory is kept


def test_background_temporary_state_dir_goes_at_exit(tmp_path):
    proc = run(tmp_path, "--port", "0", "--background")
    assert proc.returncode == 0, proc.stderr
    pid = int(next(l for l in proc.stdout.splitlines() if "kill " in l).split("kill ")[1].split("`")[0])
    assert len(list((tmp_path / "tmp").iterdir())) == 1
    _stop(pid)
    assert list((tmp_path / "tmp").iterdir()) == []
