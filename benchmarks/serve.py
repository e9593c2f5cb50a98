"""Map tiles per second: computed and cached 256 x 256 PNGs of the demo pipeline through a real
uvicorn server, against colouring and PNG-encoding a ready array alone.

The demo pipeline is ``examples/pipelines/wave_field.json`` (what ``examples/demo.py`` runs).
Computed: a server without a tile cache, so every request evaluates the tile through
``podpac_exec.evaluate`` (local backend), colours and encodes it. Cached: a server with the memory
cache, every tile already requested once. Baseline: colouring and PNG-encoding the same tile's
ready values (``encode.styled_png``, what the server does after evaluating), in this process.
``detail`` also gives the encoder this module measured before (``colorize`` then Pillow's RGBA
PNG at zlib level 1) and the computed tiles against it. One keep-alive ``http.client`` connection per server (lighter than
requests, so the figure is the server's), requests in sequence; the three take
turns round after round so machine noise hits all alike; figures are medians over rounds.
"""

from __future__ import annotations

import io
import statistics
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from benchmarks.harness import record

NAME = "serve"
PIPELINE = Path(__file__).resolve().parents[1] / "examples" / "pipelines" / "wave_field.json"
ZOOM = 4
TILES = [(x, y) for x in range(4, 12) for y in range(4, 8)]  # 32 tiles of zoom 4
ROUNDS = 5


def run() -> Iterator[dict[str, Any]]:
    import http.client
    from urllib.parse import urlsplit

    import podpac_exec as pe
    from podpac_exec.serve import encode
    from podpac_exec.serve.app import create_app
    from podpac_exec.serve.config import ServeConfig
    from podpac_exec.serve.grids import tile_grid
    from podpac_exec.serve.registry import ServedPipeline
    from podpac_exec.serve.server import ServerThread
    from podpac_exec.serve.style import colorize

    node = pe.Node.from_json(PIPELINE.read_text())

    def app(cache_bytes: int) -> Any:
        config = ServeConfig(backend="local", cache_memory_bytes=cache_bytes)
        return create_app([ServedPipeline("demo", node)], config)

    cold_app, cached_app = app(0), app(64 * 2**20)
    ctx = cold_app.state.context
    pipeline = ctx.registry.get("demo")
    style = ctx.style(pipeline, {})
    ready = [ctx.grid_values(pipeline, tile_grid("WebMercatorQuad", ZOOM, x, y, 256, 0, 22)) for x, y in TILES]

    with ServerThread(cold_app) as cold_url, ServerThread(cached_app) as cached_url:

        def fetch_all(base: str) -> Callable[[], list[bytes]]:
            netloc = urlsplit(base).netloc
            conn = http.client.HTTPConnection(netloc)
            paths = [f"/tiles/WebMercatorQuad/{ZOOM}/{x}/{y}.png?layer=demo" for x, y in TILES]

            def go() -> list[bytes]:
                out = []
                for path in paths:
                    conn.request("GET", path)
                    r = conn.getresponse()
                    body = r.read()
                    if r.status != 200:
                        raise AssertionError(f"{path}: {r.status} {body[:200]!r}")
                    out.append(body)
                return out

            return go

        def encode_all() -> None:
            for values in ready:
                encode.styled_png(values, style)

        def pillow_encode_all() -> None:
            from PIL import Image

            for values in ready:
                Image.fromarray(colorize(values, style), "RGBA").save(io.BytesIO(), "PNG", compress_level=1)

        def compute_in_process() -> None:
            for x, y in TILES:
                ctx.encode(pipeline, tile_grid("WebMercatorQuad", ZOOM, x, y, 256, 0, 22), "png", style)

        fns = {
            "computed": fetch_all(cold_url), "cached": fetch_all(cached_url),
            "encode": encode_all, "computed_in_process": compute_in_process, "pillow_encode": pillow_encode_all,
        }
        served = fns["computed"]()  # also the warm-up: imports, connections
        if served != [encode.styled_png(values, style) for values in ready] or fns["cached"]() != served:
            raise AssertionError("the served tiles are not the encoded ready arrays")
        for name in ("encode", "computed_in_process", "pillow_encode"):
            fns[name]()
        samples: dict[str, list[float]] = {name: [] for name in fns}
        for _ in range(ROUNDS):
            for name, fn in fns.items():
                t0 = time.perf_counter()
                fn()
                samples[name].append((time.perf_counter() - t0) / len(TILES))
    per_tile = {name: statistics.median(v) for name, v in samples.items()}
    rates = {f"{name}_tiles_per_s": round(1 / s, 1) for name, s in per_tile.items()}
    ms = {f"{name}_ms_per_tile": round(s * 1e3, 3) for name, s in per_tile.items()}
    common = dict(tile="256x256 PNG, WebMercatorQuad zoom 4", pipeline=PIPELINE.name, tiles=len(TILES), rounds=ROUNDS)
    yield record(NAME, "computed_vs_encode", per_tile["computed"] / per_tile["encode"], "ratio", "<= 2",
                 in_process_ratio=round(per_tile["computed_in_process"] / per_tile["encode"], 3),
                 computed_vs_pillow_encode=round(per_tile["computed"] / per_tile["pillow_encode"], 3),
                 **rates, **ms, **common)
    yield record(NAME, "cached_tiles_per_second", 1 / per_tile["cached"], "tiles/s", ">= 500", **rates, **ms, **common)
