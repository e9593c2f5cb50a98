"""Scheduler addresses are checked, and probed with a short timeout, before anything is created."""

from __future__ import annotations

import socket
import time

import pytest

from podpac_exec.engine.scheduler import check_scheduler_address, connect_scheduler, probe_scheduler
from podpac_exec.errors import ClusterUnavailableError, SettingsError


@pytest.mark.parametrize(
    "address", ["notanaddress", "127.0.0.1:8786", "tcp://", "tcp://host", "tcp://host:99999", "http://host:1",
                "tcp://host:port", "tcp://host:1/path", " "],
)
def test_malformed_addresses_are_one_line_settings_errors(address):
    with pytest.raises(SettingsError) as info:
        check_scheduler_address(address, field="--scheduler")
    assert info.value.field == "--scheduler" and "tcp://HOST:PORT" in str(info.value)
    assert len(str(info.value).splitlines()) == 1


def test_wellformed_addresses_parse():
    assert check_scheduler_address("tcp://127.0.0.1:8786") == ("127.0.0.1", 8786)
    assert check_scheduler_address("tls://[::1]:9000") == ("::1", 9000)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket closes: nothing listens there


def test_unreachable_scheduler_fails_within_seconds():
    address = f"tcp://127.0.0.1:{_closed_port()}"
    t0 = time.perf_counter()
    with pytest.raises(ClusterUnavailableError) as info:
        probe_scheduler(address)
    assert time.perf_counter() - t0 < 5
    assert address in str(info.value) and "dask.scheduler_address" in str(info.value)


def test_a_listener_that_is_not_a_scheduler_fails_within_seconds():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        address = "tcp://127.0.0.1:%d" % server.getsockname()[1]
        t0 = time.perf_counter()
        with pytest.raises(ClusterUnavailableError) as info:
            connect_scheduler(address, timeout=1.0)
        assert time.perf_counter() - t0 < 10
    assert "no dask scheduler answered" in str(info.value)
