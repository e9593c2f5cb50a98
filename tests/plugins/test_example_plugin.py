"""The example third-party plugin (examples/plugins/podpac-exec-hello), installed for real with pip
into a directory on sys.path, is found through its entry point: its node evaluates and its command runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.cli.main import main
from podpac_exec.plugins.manager import reset_plugin_manager

EXAMPLE = Path(__file__).parents[2] / "examples" / "plugins" / "podpac-exec-hello"


@pytest.fixture
def installed(tmp_path, monkeypatch):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--disable-pip-version-check", "--target", str(target), str(EXAMPLE)],
        check=True, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    monkeypatch.syspath_prepend(str(target))
    reset_plugin_manager()
    yield
    for name in [m for m in sys.modules if m.startswith("podpac_exec_hello")]:
        del sys.modules[name]
    reset_plugin_manager()


def test_the_installed_plugin_adds_a_node_and_a_command(installed, capsys):
    coords = pe.Coordinates([pe.clinspace(0, 2, 3, "lat"), pe.clinspace(10, 11, 2, "lon")])
    out = pe.evaluate(pe.Node.from_definition({"R": {"node": "hello.Ramp", "attrs": {"scale": 2.0}}}), coords)
    np.testing.assert_array_equal(out.values, 2.0 * np.array([[0.0], [1.0], [2.0]]) + np.array([[10.0, 11.0]]))
    assert main(["hello"]) == 0
    assert "hello from podpac-exec-hello" in capsys.readouterr().out
