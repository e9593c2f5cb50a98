"""Helpers of the serve tests (a module of its own: ``conftest`` names clash across test dirs)."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import numpy as np

import podpac_exec as pe
from podpac_exec.serve.config import ServeConfig
from podpac_exec.serve.registry import ServedPipeline

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "pipelines"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

#: SinCoords with a PODPAC style: the default colour scale comes from the node's attrs.
STYLED = {"Sin": {"node": "core.algorithm.utility.SinCoords", "style": {"colormap": "jet", "clim": [-1.0, 1.0]}}}
#: Negative values masked to NaN: nodata must be transparent.
MASKED = {
    "Sin": {"node": "core.algorithm.utility.SinCoords"},
    "Masked": {
        "node": "core.algorithm.generic.Mask",
        "attrs": {"bool_op": "<", "bool_val": 0.0, "masked_val": None},
        "inputs": {"source": "Sin", "mask": "Sin"},
    },
}


def serve_config(**overrides: object) -> ServeConfig:
    values = dict(backend="local", cache_memory_bytes=64 * 2**20, max_image_size=2048, max_request_cells=2**21)
    values.update(overrides)
    return ServeConfig(**values)  # type: ignore[arg-type]




def pipelines() -> list[ServedPipeline]:
    return [
        ServedPipeline("wave", pe.Node.from_json((EXAMPLES / "wave_field.json").read_text()), title="Wave field"),
        ServedPipeline("styled", pe.Node.from_definition(STYLED)),
        ServedPipeline("masked", pe.Node.from_definition(MASKED)),
    ]


def load_npy(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data), allow_pickle=False)


def decode_png(data: bytes) -> np.ndarray:
    """RGBA uint8 pixels of a PNG."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGBA"))


def expected_colors(values: np.ndarray, colormap: str, vmin: float, vmax: float) -> np.ndarray:
    """PODPAC's ``to_image`` colouring, straight from matplotlib: the reference for PNG pixels."""
    import matplotlib

    rgba = matplotlib.colormaps[colormap]((values - vmin) / (vmax - vmin), bytes=True)
    rgba[np.isnan(values)] = 0
    return rgba


def wait_for(driver: object, script: str, timeout: float = 30.0) -> object:
    """The first truthy value of ``script`` in the page, polled until ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)  # type: ignore[attr-defined]
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for: {script}")


def function_url_event(path: str, query: str = "", stage: str = "$default", host: str = "abcd.lambda-url.us-east-1.on.aws") -> dict[str, Any]:
    """A Function URL / HTTP API (payload 2.0) GET event, as AWS sends it."""
    raw_path = path if stage == "$default" else f"/{stage}{path}"
    params = dict(p.split("=", 1) for p in query.split("&") if p)
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": raw_path, "rawQueryString": query,
        "headers": {"host": host, "x-forwarded-proto": "https", "user-agent": "test"},
        **({"queryStringParameters": params} if params else {}),
        "requestContext": {
            "accountId": "anonymous", "apiId": "abcd", "domainName": host, "domainPrefix": "abcd", "stage": stage,
            "http": {"method": "GET", "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                     "userAgent": "test"},
            "requestId": "req-serve", "routeKey": "$default", "time": "03/Dec/2026:06:00:00 +0000",
            "timeEpoch": 1796277600000,
        },
        "isBase64Encoded": False,
    }


def rest_event(path: str, params: dict[str, str], stage: str = "prod") -> dict[str, Any]:
    """An API Gateway REST (v1) proxy GET event: ``path`` without the stage, as AWS sends it."""
    host = "abcd.execute-api.us-east-1.amazonaws.com"
    return {
        "resource": "/{proxy+}", "path": path, "httpMethod": "GET",
        "headers": {"Host": host, "X-Forwarded-Proto": "https"}, "multiValueHeaders": {"Host": [host]},
        "queryStringParameters": params, "multiValueQueryStringParameters": {k: [v] for k, v in params.items()},
        "pathParameters": {"proxy": path.lstrip("/")},
        "requestContext": {"stage": stage, "requestId": "req-rest", "path": f"/{stage}{path}",
                           "identity": {"sourceIp": "127.0.0.1"}, "httpMethod": "GET"},
        "body": None, "isBase64Encoded": False,
    }
