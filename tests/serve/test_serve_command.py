"""``podpac-exec serve`` as a real process: prints its URL, serves, stops by PID."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
import requests

from serve_support import EXAMPLES
from podpac_exec.cli.main import build_parser, main


@pytest.fixture
def serve_process(tmp_path):
    procs: list[subprocess.Popen] = []

    def start(*args: str) -> tuple[subprocess.Popen, str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "podpac_exec.cli.main", "serve", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, cwd=tmp_path,
        )
        procs.append(proc)
        line = proc.stdout.readline().strip()  # blocks until the server is listening (or exits)
        assert line.startswith("http://127.0.0.1:"), f"no URL; stderr: {proc.stderr.read()}"
        return proc, line

    yield start
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def test_serve_prints_the_url_and_serves_the_named_pipelines(serve_process):
    proc, url = serve_process(f"wave={EXAMPLES / 'wave_field.json'}", str(EXAMPLES / "smoothed_wave.json"),
                              "--backend", "local", "--port", "0", "--set", "serve.max_zoom=6")
    assert url.endswith("/") and int(url.rsplit(":", 1)[1].rstrip("/")) > 0
    names = [p["name"] for p in requests.get(url + "pipelines.json", timeout=30).json()]
    assert names == ["wave", "smoothed_wave"]
    assert requests.get(url + "tiles/WebMercatorQuad/6/0/0.png?layer=wave", timeout=30).status_code == 200
    assert requests.get(url + "tiles/WebMercatorQuad/7/0/0.png?layer=wave", timeout=30).status_code == 404
    os.kill(proc.pid, signal.SIGTERM)  # stopped by its PID
    # uvicorn shuts down cleanly, then re-raises the signal it caught, as a well-behaved process does
    assert proc.wait(timeout=30) == -signal.SIGTERM
    stderr = proc.stderr.read()
    assert "wave, smoothed_wave on the local backend" in stderr and "Finished server process" in stderr
    # stdout holds the URL alone: a caller reading that line and no more never fills the pipe
    assert proc.stdout.read() == "" and '"GET /pipelines.json HTTP/1.1" 200' in stderr


def test_serve_is_a_cli_command():
    args = build_parser().parse_args(["serve", "a.json", "--host", "127.0.0.1", "--port", "8123"])
    assert (args.pipelines, args.host, args.port, args.backend) == (["a.json"], "127.0.0.1", 8123, None)


def test_bad_pipelines_fail_before_binding(tmp_path, capsys):
    assert main(["serve", str(tmp_path / "missing.json")]) == 2
    assert "cannot read pipeline file" in capsys.readouterr().err
    reduced = tmp_path / "reduced.json"
    reduced.write_text('{"S": {"node": "core.algorithm.utility.SinCoords"}, "M": {"node": "core.algorithm.stats.Mean",'
                       ' "attrs": {"dims": ["lat"]}, "inputs": {"source": "S"}}}')
    assert main(["serve", str(reduced)]) == 2
    assert "does not give a lat/lon map: its output dims are ['lon']" in capsys.readouterr().err
    assert main(["serve", f"bad name={EXAMPLES / 'wave_field.json'}"]) == 2
    assert "pipeline name 'bad name'" in capsys.readouterr().err
    assert main(["serve", str(EXAMPLES / "wave_field.json"), "--set", "serve.api_token=abc"]) == 2
    assert "does not belong on the command line" in capsys.readouterr().err
    assert main(["serve", str(EXAMPLES / "wave_field.json"), "--set", "tiling.nope=2"]) == 2
    assert "unknown setting 'tiling.nope'" in capsys.readouterr().err


def test_serve_settings_are_range_checked(capsys):
    assert main(["serve", str(EXAMPLES / "wave_field.json"), "--set", "serve.max_zoom=99"]) == 2
    assert "serve.max_zoom" in capsys.readouterr().err


def test_workers_share_one_port_and_stop_with_the_parent(serve_process):
    import psutil

    proc, url = serve_process(f"wave={EXAMPLES / 'wave_field.json'}", "--workers", "2", "--set", "serve.max_zoom=6")
    for x in range(8):  # connections made as the workers come up wait in the socket's backlog
        response = requests.get(url + f"tiles/WebMercatorQuad/3/{x}/2.png?layer=wave", timeout=60)
        assert response.status_code == 200 and response.content.startswith(b"\x89PNG")
    assert requests.get(url + "tiles/WebMercatorQuad/7/0/0.png?layer=wave", timeout=60).status_code == 404  # --set reached them
    workers = [c for c in psutil.Process(proc.pid).children() if "spawn_main" in " ".join(c.cmdline())]
    assert len(workers) == 2
    os.kill(proc.pid, signal.SIGTERM)
    proc.wait(timeout=60)
    psutil.wait_procs(workers, timeout=30)
    assert not [w for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]
    stderr = proc.stderr.read()
    assert "wave on the local backend in 2 processes" in stderr
    assert '"GET /tiles/WebMercatorQuad/3/7/2.png?layer=wave HTTP/1.1" 200' in stderr  # the workers' access log


def test_worker_arguments_name_pipelines_by_absolute_path(tmp_path, monkeypatch):
    from podpac_exec.serve.workers import ServeArguments

    monkeypatch.chdir(tmp_path)
    args = ServeArguments(["a.json", "b=sub/b.json"], "local", {"serve.max_zoom": 6}).absolute()
    assert args.pipelines == [str(tmp_path / "a.json"), f"b={tmp_path / 'sub' / 'b.json'}"]
    assert (args.backend, args.overrides) == ("local", {"serve.max_zoom": 6})


def test_workers_must_be_a_positive_count():
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "a.json", "--workers", "0"])
    assert build_parser().parse_args(["serve", "a.json", "--workers", "3"]).workers == 3
