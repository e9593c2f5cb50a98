"""Building one tile's Lambda request, against serialising the tile's own part of it alone.

A chain of 200 ``Arithmetic`` nodes (401 nodes, about 38 kB of pipeline JSON) is requested on a
4096 x 4096 grid cut into 32 row tiles. Per tile the client needs the tile's exact coordinates,
the output spec and the ``limits.*`` settings; the pipeline is the same for every tile, so
``request_payload`` splices in the node's JSON, serialised once. The baseline is the irreducible
per-tile work: ``json.dumps`` of the request with an empty pipeline. ``detail`` also gives the
old way, ``json.dumps`` of the whole request (the pipeline's definition included) per tile, and
checks that both give the same bytes.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from benchmarks.harness import median_seconds, record

NAME = "request_payload"
CHAIN = 200
SIZE = 4096
ROWS = 128


def run() -> Iterator[dict[str, Any]]:
    import podpac_exec as pe
    from podpac_exec.backends.aws_lambda.client.backend import request_payload
    from podpac_exec.backends.aws_lambda.wire.protocol import OutputSpec, build_request

    node: Any = pe.nodes.SinCoords()
    for i in range(CHAIN):
        node = pe.nodes.Arithmetic(A=node, B=pe.nodes.Arange(), eqn=f"A + B * {i}")
    grid = pe.Coordinates([pe.clinspace(0, 1, SIZE, "lat"), pe.clinspace(0, 1, SIZE, "lon")])
    tiles = [grid[i : i + ROWS, :] for i in range(0, SIZE, ROWS)]
    output, public = OutputSpec(None, 5 * 2**20), pe.settings.snapshot().public()

    def spliced() -> list[bytes]:
        return [request_payload(node, tile, output, public) for tile in tiles]

    def dumped(pipeline: Any, tile: Any) -> bytes:
        return json.dumps(build_request(pipeline, tile.exact_definition, output, public), separators=(",", ":")).encode()

    def whole_per_tile() -> list[bytes]:
        return [dumped(node.definition, tile) for tile in tiles]

    def tile_part_only() -> list[bytes]:
        return [dumped({}, tile) for tile in tiles]

    if spliced() != whole_per_tile():
        raise AssertionError("request_payload differs from json.dumps of the whole request")
    seconds = {name: median_seconds(fn, repeats=7) / len(tiles) for name, fn in
               (("spliced", spliced), ("whole", whole_per_tile), ("baseline", tile_part_only))}  # fmt: skip
    yield record(
        NAME,
        "request_building_vs_tile_part",
        seconds["spliced"] / seconds["baseline"],
        "ratio",
        target="<= 2 (the pipeline costs nothing per tile)",
        request_ms_per_tile=round(seconds["spliced"] * 1000, 4),
        tile_part_ms_per_tile=round(seconds["baseline"] * 1000, 4),
        whole_request_per_tile_ms=round(seconds["whole"] * 1000, 4),
        speedup_vs_whole_request_per_tile=round(seconds["whole"] / seconds["spliced"], 1),
        pipeline_bytes=len(node.json),
        tiles=len(tiles),
    )
