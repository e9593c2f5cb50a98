"""Map tiles per second: computed and cached 256 x 256 PNGs of the demo pipeline from a real
``podpac-exec serve`` process, against colouring and PNG-encoding a ready array alone.

The demo pipeline is ``examples/pipelines/wave_field.json`` (what ``examples/demo.py`` runs).
Servers are started as users start them (``podpac-exec serve``, in their own process group,
stopped by it): *computed* ones with ``serve.cache_memory_bytes=0``, so every request evaluates
its tile (local backend), colours and encodes it; a *cached* one whose tiles were all requested
once. Clients are this process: one keep-alive connection (requests in sequence), or six at
once, as a browser loads a map (Chromium opens six per host), driven from one thread.

The figure is the computed tiles per second of ``--workers`` = this machine's cores under the
browser's load, against the tiles per second of ``encode.styled_png`` on the same tiles' ready
values in this process (what the server does after evaluating). ``detail`` also has the one
process server, the sequential client, the encode on all cores (threads), the in-process
render without HTTP, and Pillow's encoder. Every kind takes its turn round after round, so
machine noise hits all alike; figures are medians over rounds.
"""

from __future__ import annotations

import os
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

from benchmarks.harness import record

NAME = "serve"
PIPELINE = Path(__file__).resolve().parents[1] / "examples" / "pipelines" / "wave_field.json"
ZOOM = 4
TILES = [(x, y) for y in range(4, 12) for x in range(16)]  # 128 tiles of zoom 4, row by row
BROWSER_CONNECTIONS = 6
ROUNDS = 5
CORES = os.cpu_count() or 1


class ServeProcess:
    """``with ServeProcess(*args) as url:`` ``podpac-exec serve PIPELINE *args`` on 127.0.0.1:0."""

    def __init__(self, *args: str) -> None:
        self.command = [sys.executable, "-m", "podpac_exec.cli.main", "serve", str(PIPELINE), "--port", "0", *args]
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> str:
        self.proc = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     start_new_session=True)
        assert self.proc.stdout is not None
        url = self.proc.stdout.readline().strip()
        if not url.startswith("http://"):
            self.__exit__()
            raise RuntimeError(f"podpac-exec serve did not start: {' '.join(self.command)}")
        return url

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def tile_client(url: str, connections: int) -> Callable[[], list[bytes]]:
    """Fetching every tile over ``connections`` keep-alive HTTP/1.1 connections, one request in
    flight on each, from one thread (a selector; no thread per connection contending for the GIL)
    receiving into buffers kept per connection, so the client's own CPU takes as little of the
    machine as it can."""
    parts = urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or 80)
    requests = [
        f"GET /tiles/WebMercatorQuad/{ZOOM}/{x}/{y}.png?layer=wave_field HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode()
        for x, y in TILES
    ]
    socks: list[socket.socket | None] = [None] * connections
    buffers = [memoryview(bytearray(RECEIVE_BUFFER)) for _ in range(connections)]
    selector = selectors.DefaultSelector()  # every open connection, registered once

    def fetch_all() -> list[bytes]:
        bodies: list[bytes] = [b""] * len(requests)
        pending = iter(range(len(requests)))
        state: dict[int, _Response] = {}

        def send(slot: int, index: int) -> None:
            sock = socks[slot]
            if sock is None:
                sock = socks[slot] = socket.create_connection(address, timeout=60)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                selector.register(sock, selectors.EVENT_READ, slot)
            sock.sendall(requests[index])
            state[slot] = _Response(index)

        for slot in range(connections):
            index = next(pending, None)
            if index is not None:
                send(slot, index)
        while state:
            for key, _ in selector.select(timeout=60):
                slot = key.data
                sock = socks[slot]
                assert sock is not None
                response = state.get(slot)
                if response is None:  # an idle connection the server closed: open another when needed
                    selector.unregister(sock)
                    sock.close()
                    socks[slot] = None
                    continue
                buffer = buffers[slot]
                received = sock.recv_into(buffer[response.filled:])
                if not received:  # the server closed an idle keep-alive connection: again on a new one
                    selector.unregister(sock)
                    sock.close()
                    socks[slot] = None
                    del state[slot]
                    send(slot, response.index)
                    continue
                response.filled += received
                body = response.body(buffer)
                if body is None:
                    continue
                bodies[response.index] = body
                del state[slot]
                following = next(pending, None)
                if following is not None:
                    send(slot, following)
        return bodies

    return fetch_all


RECEIVE_BUFFER = 1 << 21  # bytes a response may take (a 256 x 256 PNG takes well under 300 kB)


class _Response:
    """A response being received into a connection's buffer."""

    __slots__ = ("index", "filled", "start", "length")

    def __init__(self, index: int) -> None:
        self.index = index
        self.filled = 0
        self.start = -1  # where the body begins, once the head is in
        self.length = 0

    def body(self, buffer: memoryview) -> bytes | None:
        """The body of the complete 200 response (None while incomplete)."""
        if self.start < 0:
            end = bytes(buffer[: self.filled]).find(b"\r\n\r\n")
            if end < 0:
                return None
            head = bytes(buffer[:end]).decode("latin-1").split("\r\n")
            if not head[0].startswith("HTTP/1.1 200"):
                raise AssertionError(f"tile {TILES[self.index]}: {head[0]} {bytes(buffer[end : self.filled])[:200]!r}")
            self.length = next(int(line.split(":", 1)[1]) for line in head[1:] if line.lower().startswith("content-length:"))
            self.start = end + 4
            if self.start + self.length > len(buffer):
                raise AssertionError(f"tile {TILES[self.index]}: {self.length} bytes, above the client's buffer")
        if self.filled < self.start + self.length:
            return None
        return bytes(buffer[self.start : self.start + self.length])


def run() -> Iterator[dict[str, Any]]:
    import podpac_exec as pe
    from podpac_exec.serve import encode
    from podpac_exec.serve.config import ServeConfig
    from podpac_exec.serve.context import ServeContext
    from podpac_exec.serve.grids import tile_grid
    from podpac_exec.serve.registry import Registry, ServedPipeline
    from podpac_exec.serve.style import colorize

    ctx = ServeContext(Registry([ServedPipeline("wave_field", pe.Node.from_json(PIPELINE.read_text()))]),
                       ServeConfig(backend="local", cache_memory_bytes=0))
    pipeline = ctx.registry.get("wave_field")
    style = ctx.style(pipeline, {})
    grids = [tile_grid("WebMercatorQuad", ZOOM, x, y, 256, 0, 22) for x, y in TILES]
    ready = [ctx.grid_values(pipeline, grid) for grid in grids]
    expected = [encode.styled_png(values, style) for values in ready]
    encoders = ThreadPoolExecutor(CORES)

    def encode_all() -> None:
        for values in ready:
            encode.styled_png(values, style)

    def encode_all_cores() -> None:
        list(encoders.map(lambda v: encode.styled_png(v, style), ready))

    def pillow_encode_all() -> None:
        import io

        from PIL import Image

        for values in ready:
            Image.fromarray(colorize(values, style), "RGBA").save(io.BytesIO(), "PNG", compress_level=1)

    def render_in_process() -> None:
        for grid in grids:
            ctx.encode(pipeline, grid, "png", style)

    cold = ("--set", "serve.cache_memory_bytes=0")
    with ServeProcess(*cold) as one, ServeProcess(*cold, "--workers", str(CORES)) as all_cores, ServeProcess() as cached:
        fns: dict[str, Callable[[], Any]] = {
            "computed": tile_client(all_cores, BROWSER_CONNECTIONS),
            "computed_one_process": tile_client(one, BROWSER_CONNECTIONS),
            "computed_sequential": tile_client(one, 1),
            "cached": tile_client(cached, BROWSER_CONNECTIONS),
            "cached_sequential": tile_client(cached, 1),
            "encode": encode_all, "encode_all_cores": encode_all_cores,
            "render_in_process": render_in_process, "pillow_encode": pillow_encode_all,
        }
        for name, fn in fns.items():  # warm-up: imports, connections, every worker's first tiles, the cache
            for _ in range(2):
                served = fn()
                if served is not None and served != expected:
                    raise AssertionError(f"{name}: the served tiles are not the encoded ready arrays")
        samples: dict[str, list[float]] = {name: [] for name in fns}
        for _ in range(ROUNDS):
            for name, fn in fns.items():
                t0 = time.perf_counter()
                fn()
                samples[name].append((time.perf_counter() - t0) / len(TILES))
    encoders.shutdown()
    per_tile = {name: statistics.median(v) for name, v in samples.items()}
    rates = {f"{name}_tiles_per_s": round(1 / s, 1) for name, s in per_tile.items()}
    ms = {f"{name}_ms_per_tile": round(s * 1e3, 3) for name, s in per_tile.items()}
    encode_s = per_tile["encode"]
    ratios = {
        f"{name}_vs_encode": round(per_tile[name] / encode_s, 3)
        for name in ("computed_one_process", "computed_sequential", "render_in_process")
    }
    common = dict(
        tile="256x256 PNG, WebMercatorQuad zoom 4", pipeline=PIPELINE.name, tiles=len(TILES), rounds=ROUNDS,
        workers=CORES, browser_connections=BROWSER_CONNECTIONS,
    )
    yield record(NAME, "computed_vs_encode", per_tile["computed"] / encode_s, "ratio", "<= 2",
                 computed_vs_encode_all_cores=round(per_tile["computed"] / per_tile["encode_all_cores"], 3),
                 computed_vs_pillow_encode=round(per_tile["computed"] / per_tile["pillow_encode"], 3),
                 **ratios, **rates, **ms, **common)
    yield record(NAME, "cached_tiles_per_second", 1 / per_tile["cached"], "tiles/s", ">= 500", **rates, **ms, **common)
