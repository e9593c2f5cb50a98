"""Shared fixtures: isolated settings layers for every test; the emulator's fixtures everywhere."""

from __future__ import annotations

import os

import pytest

pytest_plugins = ["podpac_exec.backends.aws_lambda.emulator.pytest_plugin"]


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path_factory, monkeypatch):
    """No user/project settings files and no PODPAC_EXEC_* variables leak into a test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    for name in list(os.environ):
        if name.startswith("PODPAC_EXEC_") and name not in ("PODPAC_EXEC_TEST_REAL_AWS",):
            monkeypatch.delenv(name)
    workdir = tmp_path_factory.mktemp("cwd")
    monkeypatch.chdir(workdir)
    yield
