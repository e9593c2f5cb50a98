"""Offline AWS emulator: warm invoke round trip and cold start, against a plain HTTP round trip."""

from __future__ import annotations

import base64
import http.client
import io
import re
import statistics
import time
import zipfile
from collections.abc import Iterator
from typing import Any

from benchmarks.harness import median_seconds, record

NAME = "emulator"
TRIVIAL = "def handler(event, context):\n    return {'ok': True}\n"


def _zip(source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("h.py", source)
    return buf.getvalue()


def _http_round_trip(endpoint_url: str) -> float:
    """Median of a keep-alive GET /_emulator/ping on the same server."""
    host, port = endpoint_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)

    def ping() -> None:
        conn.request("GET", "/_emulator/ping")
        conn.getresponse().read()

    try:
        return median_seconds(ping, repeats=200, warmup=20)
    finally:
        conn.close()


def _cold_starts(emu: Any, lam: Any, repeats: int) -> tuple[float, float]:
    """Median wall time of an invoke after every container was stopped, and the median Init Duration."""
    walls, inits = [], []
    for _ in range(repeats):
        emu.stop_containers()
        started = time.perf_counter()
        resp = lam.invoke(FunctionName="bench", Payload=b"{}", LogType="Tail")
        resp["Payload"].read()
        walls.append(time.perf_counter() - started)
        tail = base64.b64decode(resp["LogResult"]).decode()
        inits.append(float(re.search(r"Init Duration: ([\d.]+) ms", tail).group(1)))  # type: ignore[union-attr]
    return statistics.median(walls), statistics.median(inits)


def run() -> Iterator[dict[str, Any]]:
    from podpac_exec.backends.aws_lambda.emulator import Emulator

    with Emulator() as emu:
        role = emu.client("iam").create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        lam = emu.client("lambda")
        lam.create_function(
            FunctionName="bench", Role=role, Runtime="python3.12", Handler="h.handler", Code={"ZipFile": _zip(TRIVIAL)}
        )
        warm = median_seconds(
            lambda: lam.invoke(FunctionName="bench", Payload=b"{}")["Payload"].read(), repeats=100, warmup=10
        )
        http_rt = _http_round_trip(emu.endpoint_url)
        cold, init_ms = _cold_starts(emu, lam, repeats=7)
    yield record(NAME, "warm_invoke_median", warm * 1e3, "ms", target="<= 5", repeats=100)
    yield record(
        NAME,
        "warm_invoke_vs_http_round_trip",
        warm / http_rt,
        "ratio",
        warm_invoke_ms=warm * 1e3,
        http_round_trip_ms=http_rt * 1e3,
    )
    yield record(
        NAME, "cold_start_median", cold * 1e3, "ms", init_duration_ms=init_ms, warm_invoke_ms=warm * 1e3, repeats=7
    )
