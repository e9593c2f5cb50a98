"""pytest fixtures: one emulator per test session (per xdist worker), reset before each test.

Use them from a conftest with ``from podpac_exec.backends.aws_lambda.emulator.pytest_plugin import
aws_emulator, aws_emulator_session  # noqa: F401`` (or list this module in ``pytest_plugins``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .client import Emulator


@pytest.fixture(scope="session")
def aws_emulator_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """The session's (or xdist worker's) emulator; prefer ``aws_emulator``, which also resets it."""
    with Emulator(state_dir=tmp_path_factory.mktemp("aws-emulator")) as emu:
        yield emu


@pytest.fixture
def aws_emulator(aws_emulator_session: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """A freshly reset emulator, with ``AWS_ENDPOINT_URL``, dummy credentials and region in ``os.environ``."""
    aws_emulator_session.reset()
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for key, value in aws_emulator_session.env().items():
        monkeypatch.setenv(key, value)
    return aws_emulator_session
