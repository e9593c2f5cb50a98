"""Array wire format: our Lambda response path against PODPAC's, for a 4 MB float32 tile.

Ours: array -> encode_result (raw buffer, pybase64) -> envelope.dump_response, the bytes the
function returns and the runtime passes through (the payload copied in, not scanned by
json.dumps) -> envelope.load_response of the bytes (the base64 left in them) -> decode_result. PODPAC's:
DataArray.to_netcdf() bytes -> base64 -> json.dumps -> json.loads -> base64 decode ->
xr.open_dataset(BytesIO) -> values. Both run in the same process; medians of several rounds
taken in turns, so that machine noise hits both alike. ``wire_speedup_plain_json`` repeats ours
reading the response with ``json.loads``, to show what that costs.
"""

from __future__ import annotations

import base64
import io
import json
import statistics
from typing import Any, Callable, Iterator

import numpy as np

from benchmarks.harness import median_seconds, record
from podpac_exec.backends.aws_lambda.wire import codec
from podpac_exec.backends.aws_lambda.wire.decode import b64decode, decompress
from podpac_exec.backends.aws_lambda.wire.encode import b64encode, payload_of
from podpac_exec.backends.aws_lambda.wire.envelope import dump_response, load_response
from podpac_exec.backends.aws_lambda.wire.format import b64_length

NAME = "codec"
SHAPE = (1024, 1024)
DIMS = ["lat", "lon"]
ROUNDS = 3


def make_tile() -> np.ndarray:
    """A terrain-like float32 field with a nodata (NaN) patch: compresses like real rasters do."""
    y, x = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1]] / 1024.0
    rng = np.random.default_rng(42)
    z = 800 + 400 * np.sin(3 * x) * np.cos(2 * y) + 60 * np.sin(17 * x + 11 * y) + rng.normal(0, 2, SHAPE)
    z = np.round(z, 1).astype(np.float32)  # decimetre precision, as elevation products store
    z[:64, :128] = np.nan
    return z


def our_path(
    arr: np.ndarray, compression: str | None = None, level: int | None = None, plain_json: bool = False
) -> Callable[[], np.ndarray]:
    load = json.loads if plain_json else load_response

    def run() -> np.ndarray:
        response = {"version": 1, "result": codec.encode_result(arr, DIMS, compression, level)}
        body = dump_response(response)
        values, _ = codec.decode_result(load(body)["result"])
        return values

    return run


def podpac_dataarray(arr: np.ndarray) -> Any:
    import xarray as xr

    coords = {"lat": np.linspace(-45, 45, SHAPE[0]), "lon": np.linspace(-90, 90, SHAPE[1])}
    return xr.DataArray(arr, dims=DIMS, coords=coords)


def podpac_path(arr: np.ndarray) -> Callable[[], np.ndarray]:
    import xarray as xr

    da = podpac_dataarray(arr)

    def run() -> np.ndarray:
        body = base64.b64encode(bytes(da.to_netcdf())).decode("ascii")
        text = json.dumps({"statusCode": 200, "body": body})
        raw = base64.b64decode(json.loads(text)["body"])
        with xr.open_dataset(io.BytesIO(raw)) as ds:
            return ds[next(iter(ds.data_vars))].values

    return run


def medians_in_turns(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median of per-round medians, the functions taking turns each round."""
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(ROUNDS):
        for name, fn in fns.items():
            samples[name].append(median_seconds(fn, repeats=repeats, warmup=1))
    return {name: statistics.median(values) for name, values in samples.items()}


def ms(fn: Callable[[], Any], repeats: int = 7) -> float:
    return round(median_seconds(fn, repeats=repeats) * 1e3, 3)


def breakdown(arr: np.ndarray) -> dict[str, float]:
    """Where our path spends its time, step by step (ms), with json's defaults for comparison."""
    _, payload, _ = payload_of(arr, None, None)
    response = {"version": 1, "result": codec.encode_result(arr, DIMS)}
    body = json.dumps(response).encode()
    data = load_response(body)["result"]["data"]
    raw = b64decode(data)
    steps: dict[str, Callable[[], Any]] = {
        "encode": lambda: payload_of(arr, None, None),
        "base64": lambda: b64encode(payload),
        "dump_response": lambda: dump_response(response),
        "json_dumps_default": lambda: json.dumps(response),
        "load_response": lambda: load_response(body),
        "base64_decode": lambda: b64decode(data),
        "decode": lambda: np.frombuffer(raw, arr.dtype).reshape(arr.shape),
        "json_loads_default": lambda: json.loads(body),
    }
    return {f"{name}_ms": ms(fn) for name, fn in steps.items()}


def json_alternatives(response: dict[str, Any]) -> dict[str, Any]:
    """The same JSON handling by orjson, when it is installed (it is not a dependency)."""
    try:
        import orjson
    except ImportError:
        return {"orjson": "not installed"}
    encoded = orjson.dumps(response)
    return {"orjson_dumps_ms": ms(lambda: orjson.dumps(response)), "orjson_loads_ms": ms(lambda: orjson.loads(encoded))}


def compressed(arr: np.ndarray, compression: str, level: int | None, podpac_seconds: float) -> dict[str, Any]:
    seconds = median_seconds(our_path(arr, compression, level), repeats=5)
    raw = payload_of(arr, compression, level)[1]
    return record(
        NAME,
        f"wire_{compression}{'' if level is None else level}",
        seconds * 1e3,
        "ms",
        None,
        compressed_bytes=len(raw),
        base64_chars=b64_length(len(raw)),
        ratio_to_raw=round(arr.nbytes / len(raw), 3),
        speedup_vs_podpac=round(podpac_seconds / seconds, 3),
        compress_ms=ms(lambda: payload_of(arr, compression, level), repeats=5),
        decompress_ms=ms(lambda: decompress(memoryview(raw), compression, arr.nbytes, "data"), repeats=5),
    )


def run() -> Iterator[dict[str, Any]]:
    arr = make_tile()
    paths = {"ours": our_path(arr), "plain_json": our_path(arr, plain_json=True), "podpac": podpac_path(arr)}
    for fn in paths.values():
        if not np.array_equal(fn(), arr, equal_nan=True):
            raise AssertionError("a wire path does not round-trip the tile")
    medians = medians_in_turns(paths, repeats=5)
    response = {"version": 1, "result": codec.encode_result(arr, DIMS)}
    yield record(
        NAME,
        "wire_speedup",
        medians["podpac"] / medians["ours"],
        "ratio",
        ">= 10",
        ours_median_ms=round(medians["ours"] * 1e3, 3),
        podpac_median_ms=round(medians["podpac"] * 1e3, 3),
        tile=f"{SHAPE[0]}x{SHAPE[1]} float32 ({arr.nbytes} bytes)",
        response_bytes=len(json.dumps(response)),
        podpac_netcdf_bytes=len(bytes(podpac_dataarray(arr).to_netcdf())),
        ours_breakdown=breakdown(arr),
        json_alternatives=json_alternatives(response),
    )
    yield record(
        NAME,
        "wire_speedup_plain_json",
        medians["podpac"] / medians["plain_json"],
        "ratio",
        None,
        ours_plain_json_median_ms=round(medians["plain_json"] * 1e3, 3),
        podpac_median_ms=round(medians["podpac"] * 1e3, 3),
        note="ours reading the response with json.loads: scanning the 5.6 MB base64 string as text dominates",
    )
    for compression, level in (("zstd", 1), ("zstd", 3), ("lz4", None)):
        yield compressed(arr, compression, level, medians["podpac"])
