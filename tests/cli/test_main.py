"""The podpac-exec command: evaluate, backends, nodes, config show, exit codes, plugin commands."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

import podpac_exec as pe
from podpac_exec.cli.main import main
from podpac_exec.plugins.manager import hookimpl, register_plugin, unregister_plugin

PIPELINE = pe.nodes.Arithmetic(A=pe.nodes.SinCoords(), B=pe.nodes.Arange(), eqn="A + B / 100").json
COORDS = pe.Coordinates([pe.clinspace(-30, 30, 9, "lat"), pe.clinspace(-60, 60, 13, "lon")]).json


@pytest.fixture
def files(tmp_path):
    (tmp_path / "p.json").write_text(PIPELINE)
    (tmp_path / "c.json").write_text(COORDS)
    return tmp_path


def test_evaluate_writes_outputs_and_plot(files, capsys):
    nc, npy, png = files / "out.nc", files / "out.npy", files / "map.png"
    timeline = files / "timeline.png"
    args = ["evaluate", str(files / "p.json"), str(files / "c.json"), "-o", str(nc), "--plot", str(png)]
    assert main(args + ["--timeline", str(timeline), "--set", "tiling.max_tile_bytes=320"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["shape"] == [9, 13] and summary["stats"]["tiles"] == 1  # Arange: one tile
    assert timeline.read_bytes()[:4] == b"\x89PNG"
    expected = pe.evaluate(PIPELINE, COORDS)
    with xr.open_dataset(nc, engine="h5netcdf") as ds:
        np.testing.assert_array_equal(ds["result"].values, expected.values)
        np.testing.assert_array_equal(ds["lat"].values, expected["lat"].values)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert main(["evaluate", str(files / "p.json"), COORDS, "-o", str(npy)]) == 0
    np.testing.assert_array_equal(np.load(npy), expected.values)


def test_evaluate_zarr(files):
    import warnings

    store = files / "out.zarr"
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert main(["evaluate", str(files / "p.json"), str(files / "c.json"), "-o", str(store)]) == 0
    assert not [w for w in seen if "onsolidated" in str(w.message)]  # zarr 3's notice, every time
    with xr.open_zarr(store) as ds:
        np.testing.assert_array_equal(ds["result"].values, pe.evaluate(PIPELINE, COORDS).values)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["evaluate", "missing.json", COORDS], "pipeline file not found"),
        (["evaluate", '{"a": {"node": "nope"}}', COORDS], "unknown node type"),
        (["evaluate", PIPELINE, '{"coords": 5}'], "coords"),
        (["evaluate", PIPELINE, COORDS, "--backend", "nope"], "installed backends"),
        (["evaluate", PIPELINE, COORDS, "--set", "limits.max_cells=5"], "max_cells"),
        (["evaluate", PIPELINE, COORDS, "-o", "out.txt"], "unsupported output"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, fragment, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and fragment in err and "Traceback" not in err


def test_argparse_errors_exit_2():
    with pytest.raises(SystemExit) as exc:
        main(["evaluate"])
    assert exc.value.code == 2


def test_listings(capsys):
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    assert "local" in out and "aws_lambda" in out
    assert main(["nodes"]) == 0
    out = capsys.readouterr().out
    assert "core.algorithm.generic.Arithmetic" in out and "algorithm.Arithmetic" in out


def test_config_show_masks_secrets_and_names_layers(monkeypatch, capsys):
    from podpac_exec.settings import settings

    settings.register_sections({"testsec": {"api_token": ""}})
    monkeypatch.setenv("PODPAC_EXEC_TESTSEC__API_TOKEN", "hunter2-very-secret")
    monkeypatch.setenv("PODPAC_EXEC_BACKEND", "local")
    try:
        assert main(["config", "show"]) == 0
    finally:
        settings.unregister_sections(["testsec"])
    out = capsys.readouterr().out
    assert "hunter2" not in out and "****" in out
    line = next(l for l in out.splitlines() if l.startswith("backend "))
    assert "environment" in line


class ExtraCommand:
    @hookimpl
    def podpac_exec_add_commands(self, subparsers):
        p = subparsers.add_parser("hello")
        p.set_defaults(func=lambda args: print("hello from a plugin") or 0)


def test_plugins_add_commands(capsys):
    register_plugin(ExtraCommand(), name="extra-command")
    try:
        assert main(["hello"]) == 0
        assert "hello from a plugin" in capsys.readouterr().out
    finally:
        unregister_plugin("extra-command")


def test_console_script_entry_point(files):
    proc = subprocess.run(
        [sys.executable, "-m", "podpac_exec.cli.main", "evaluate", str(files / "p.json"), str(files / "c.json")],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["dims"] == ["lat", "lon"]


@pytest.mark.parametrize("address, code, fragment", [
    ("notanaddress", 2, "expected tcp://HOST:PORT"),
    ("tcp://127.0.0.1:1", 1, "no dask scheduler reachable"),
])
def test_evaluate_with_a_bad_scheduler_is_one_line(files, address, code, fragment, capsys):
    out = files / "out.nc"
    tiled = ["--set", "tiling.max_tile_bytes=320"]  # several tiles: they would go to the cluster
    argv = ["evaluate", pe.nodes.SinCoords().json, str(files / "c.json"), "-o", str(out), *tiled,
            "--set", f"dask.scheduler_address={address}"]
    assert main(argv) == code
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and fragment in err and "dask.scheduler_address" in err
    assert not out.exists()


@pytest.mark.parametrize("option, make, fragment", [
    ("-o", "dir.nc", "is a directory"),
    ("-o", "missing/out.nc", "does not exist"),
    ("--plot", "missing/map.png", "does not exist"),
    ("--timeline", "missing/t.png", "does not exist"),
])
def test_output_paths_are_checked_before_evaluating(files, option, make, fragment, capsys):
    """One line, exit 2, nothing created, and the pipeline never runs (the check comes first)."""
    (files / "dir.nc").mkdir()
    target = files / make
    proc = subprocess.run(
        [sys.executable, "-m", "podpac_exec.cli.main", "evaluate", str(files / "p.json"), str(files / "c.json"),
         option, str(target), "--set", "limits.max_cells=1"],  # evaluating would fail differently
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and fragment in err and str(target.parent) in err, err
    assert not (files / "missing").exists()


def test_version_and_help_point_at_settings(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"podpac-exec {pe.__version__}"
    with pytest.raises(SystemExit):
        main(["evaluate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "podpac-exec config show" in text and "tiling.min_tiles" in text and "'-' for stdin" in text


def test_pipeline_or_coordinates_from_stdin(files):
    for args, stdin in (([ "-", str(files / "c.json")], PIPELINE), ([str(files / "p.json"), "-"], COORDS)):
        proc = subprocess.run([sys.executable, "-m", "podpac_exec.cli.main", "evaluate", *args],
                              input=stdin, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["shape"] == [9, 13]
    assert main(["evaluate", "-", "-"]) == 2
