"""Hostile pipelines on the client, resource caps, and credential values that must never be echoed.

Fuzzing of the loader, coordinates and expressions on their own lives in tests/nodes/test_loader.py,
tests/coordinates/ and tests/nodes/expressions/; the function side in
tests/backends/aws_lambda/test_remote_fuzz.py; the Dataset source policy in tests/nodes/test_sources.py.
Here whole pipelines whose JSON is valid but whose values are hostile go through ``pe.evaluate``.
"""

from __future__ import annotations

import json
import logging
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

import podpac_exec as pe
from podpac_exec.backends.aws_lambda.function import remote
from podpac_exec.backends.aws_lambda.wire.protocol import OutputSpec, build_request
from podpac_exec.cli.main import main
from podpac_exec.nodes.expressions import MAX_LENGTH, compile_expression
from podpac_exec.settings import settings
from podpac_exec.engine.stats import EvaluationStats

GRID = pe.Coordinates([pe.clinspace(-1, 1, 4, "lat"), pe.clinspace(0, 2, 5, "lon")])

# -- hostile values in valid JSON ------------------------------------------------------------------------

huge_ints = st.sampled_from([0, -1, -7, 2**31, 2**53 + 1, 2**63, 10**30, 10**4000])
numbers = st.integers(-3, 6) | huge_ints | st.floats(allow_nan=True, allow_infinity=True)
number_text = numbers.map(str) | st.sampled_from(["nan", "inf", "-0", "1e3", "0x10", "", " 3 ", "1_000"])
kernel_types = st.builds(
    lambda kind, size, params: ",".join([kind, size, *params]),
    st.sampled_from(["mean", "gaussian", "hann", "taylor", "dpss", "kaiser", "tukey", "nope", "_lib", "get_window"]),
    number_text,
    st.lists(number_text, max_size=3),
)
scalars = st.none() | st.booleans() | numbers | st.text(max_size=6)
nested_numbers = st.recursive(numbers, lambda c: st.lists(c, min_size=1, max_size=3), max_leaves=12)
dims = st.sampled_from(["lat", "lon", "time", "alt", "lat_lon", "x", ""])
uniform = st.fixed_dictionaries(
    {"start": numbers, "stop": numbers, "name": dims},
    optional={"size": numbers, "step": numbers},
)
coordinates_defs = st.fixed_dictionaries(
    {"coords": st.lists(uniform | st.fixed_dictionaries({"values": st.lists(numbers, max_size=4), "name": dims}), max_size=3)},
    optional={"crs": st.sampled_from(["EPSG:4326", "+proj=longlat", "nope", ""])},
)
eqns = st.sampled_from(
    ["A * 2", "A + B", "{p}", "A ** {p}", "A ** 1e308", "9**9**9 + A", "A.__class__", "__import__('os')",
     "where(A > 0, A, B)", "{p}" * 20, "A / 0", "(lambda: A)()", "[A for A in B]", "A[0]", "sin(" * 200 + "A" + ")" * 200]
)
params = st.dictionaries(st.sampled_from(["p", "q"]), scalars | st.just("A+" * 4000 + "A"), max_size=2)
urls = st.sampled_from(
    ["/etc/passwd", "file:///etc/hosts", "../../etc/shadow", "http://169.254.169.254/latest/meta-data/",
     "memory://x", "zip::s3://b/x.zip", "ftp://h/x.nc", "", "/proc/self/environ", "s3://b/k::memory://x"]
)


def node_spec(kind: str, inputs: list[str], draw: st.DrawFn) -> dict:
    """One node of ``kind`` with hostile attrs; ``inputs`` are refs defined before it."""
    ref = lambda: draw(st.sampled_from(inputs)) if inputs else "nowhere"  # noqa: E731
    if kind == "Convolution":
        attrs = draw(st.one_of(
            st.fixed_dictionaries({"kernel_type": kernel_types, "kernel_dims": st.lists(dims, max_size=4)}),
            st.fixed_dictionaries({"kernel": nested_numbers, "kernel_dims": st.lists(dims, max_size=3)}),
        ))
        return {"node": "algorithm.Convolution", "attrs": attrs, "inputs": {"source": ref()}}
    if kind == "Arithmetic":
        names = {"A": ref(), "B": ref()} if inputs else {}
        attrs = {"eqn": draw(eqns), "params": draw(params)}
        return {"node": "algorithm.Arithmetic", "attrs": attrs, "inputs": names}
    if kind == "Array":  # hostile values on the request's grid, or hostile data and coordinates
        attrs = draw(st.one_of(
            st.lists(st.floats() | st.sampled_from([0, -1, 2**53 + 1]), min_size=20, max_size=20).map(lambda v: {"source": np.reshape(v, (4, 5)).tolist(),
                                                                        "coordinates": GRID.definition}),
            st.fixed_dictionaries({"source": nested_numbers, "coordinates": coordinates_defs}),
        ))
        return {"node": "data.Array", "attrs": attrs}
    if kind == "Dataset":
        return {"node": "data.Dataset", "attrs": {"source": draw(urls), "data_key": "v"}}
    if kind == "Mean":
        return {"node": "core.algorithm.stats.Mean", "attrs": {"dims": draw(st.lists(dims, max_size=3))}, "inputs": {"source": ref()}}
    if kind == "Mask":
        attrs = {"bool_op": draw(st.sampled_from(["==", "<", "nope"])), "bool_val": draw(scalars), "masked_val": draw(scalars)}
        return {"node": "algorithm.Mask", "attrs": attrs, "inputs": {"source": ref(), "mask": ref()}}
    if kind == "CoordData":
        return {"node": "algorithm.CoordData", "attrs": {"coord_name": draw(dims)}}
    if kind == "Interpolate":
        method = draw(st.sampled_from(["nearest", "bilinear", "cubic", "nope", ""]))
        return {"node": "core.interpolation.interpolation.Interpolate", "attrs": {"interpolation": method}, "inputs": {"source": ref()}}
    return {"node": "algorithm.SinCoords"}


@st.composite
def hostile_pipelines(draw: st.DrawFn) -> str:
    kinds = ["Convolution", "Arithmetic", "Array", "Dataset", "Mean", "Mask", "CoordData", "Interpolate"]
    definition: dict = {"n0": node_spec(draw(st.sampled_from(["SinCoords", "Array"])), [], draw)}
    for i in range(1, draw(st.integers(1, 4))):
        definition[f"n{i}"] = node_spec(draw(st.sampled_from(kinds)), list(definition), draw)
    return json.dumps(definition)  # NaN and Infinity become the bare tokens PODPAC writes


requests = st.one_of(st.just(GRID.json), st.just(GRID.json), coordinates_defs.map(json.dumps))
FUZZ = hsettings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(hostile_pipelines(), requests)
def test_hostile_pipelines_raise_only_package_errors(pipeline, coordinates):
    with settings.override(limits__max_cells=10_000, limits__max_tile_cells=10_000):
        try:
            out = pe.evaluate(pipeline, coordinates)
        except pe.PodpacExecError:
            return
    assert out.size <= 10_000


# -- caps that act before allocating -----------------------------------------------------------------------


def convolution(**attrs):
    return json.dumps({"s": {"node": "algorithm.SinCoords"}, "c": {"node": "algorithm.Convolution", "attrs": attrs, "inputs": {"source": "s"}}})


@pytest.mark.parametrize(
    "attrs, fragment",
    [
        ({"kernel_type": "mean,100000", "kernel_dims": ["lat", "lon"]}, "100000^2 cells"),
        ({"kernel_type": "gaussian,100000000,1", "kernel_dims": ["lat"]}, "max_kernel_cells"),
        ({"kernel_type": "mean," + "9" * 4000, "kernel_dims": ["lat"] * 2}, "99999999999999999999...^2 cells"),
        ({"kernel_type": "taylor,3,100000000", "kernel_dims": ["lat"]}, "params must lie within"),
        ({"kernel_type": "gaussian,3,nan", "kernel_dims": ["lat"]}, "finite"),
        ({"kernel_type": "mean,-3", "kernel_dims": ["lat"]}, "at least 1"),
        ({"kernel": [[1.0] * 300] * 300, "kernel_dims": ["lat", "lon"]}, "90000 cells"),
    ],
)
def test_kernels_are_capped_before_they_are_built(attrs, fragment):
    with pytest.raises(pe.PodpacExecError) as err:
        pe.evaluate(convolution(**attrs), GRID)
    assert fragment in str(err.value) and err.value.field.startswith("c.attrs.kernel")


def test_a_long_kernel_axis_may_not_blow_up_the_tile(monkeypatch):
    monkeypatch.setenv("PODPAC_EXEC_LIMITS__MAX_TILE_CELLS", "500")  # read where the tile is evaluated
    with pytest.raises(pe.LimitExceededError, match="expands the request to 1015 cells"):
        pe.evaluate(convolution(kernel_type="mean,200", kernel_dims=["lat"]), GRID)


def test_array_sources_are_capped():
    with settings.override(limits__max_array_cells=10):
        with pytest.raises(pe.LimitExceededError, match="max_array_cells=10"):
            pe.nodes.Array(source=np.zeros((4, 5)), coordinates=GRID)


def test_param_substitution_cannot_amplify_an_expression():
    with pytest.raises(pe.ExpressionError, match=f"the limit is {MAX_LENGTH}"):
        compile_expression("{p}" * 1_000_000, ["A"], {"p": "A+" * 4999 + "A"})  # would be 10 GB of text


# -- credential values are never echoed ---------------------------------------------------------------------

FAKE = {
    "AWS_ACCESS_KEY_ID": "FAKEKEYIDSECURITYTEST",
    "AWS_SECRET_ACCESS_KEY": "fake/secret+value-for-podpac-exec-tests",
    "AWS_SESSION_TOKEN": "FAKESESSIONTOKEN//never-in-output==",
}


class EchoingS3:
    """An S3 client whose errors quote the credentials, as a careless library might."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def get_object(self, Bucket: str, Key: str) -> dict:
        raise pe.PipelineError(f"access denied for {FAKE['AWS_ACCESS_KEY_ID']}:{FAKE['AWS_SECRET_ACCESS_KEY']}")

    def put_object(self, Bucket: str, Key: str, Body: bytes, **kw: object) -> dict:
        self.bodies.append(Body)
        return {}


def test_no_credential_value_in_errors_stats_payloads_or_config(monkeypatch, capsys, caplog, tmp_path):
    """Complements test_lambda_e2e.py::test_no_credentials_in_payloads_or_logs (the wire and the
    function's logs on the emulator) in-process."""
    for name, value in FAKE.items():
        monkeypatch.setenv(name, value)
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []

    def run(call):
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - every error's text is scanned
            texts.append(f"{type(exc).__name__}: {exc}")
            return None

    # local evaluations, succeeding and failing
    stats = EvaluationStats()
    good = pe.nodes.Arithmetic(A=pe.nodes.SinCoords(), eqn="A * 2")
    run(lambda: pe.evaluate(good, GRID, stats=stats, max_tile_bytes=64))
    texts.append(json.dumps(stats.summary()))
    (tmp_path / "junk.nc").write_text("not netcdf")
    for pipeline in ('{"a": {"node": "nope"}}', convolution(kernel_type="mean,100000", kernel_dims=["lat", "lon"])):
        run(lambda: pe.evaluate(pipeline, GRID))
    run(lambda: pe.evaluate(pe.nodes.Dataset(source=str(tmp_path / "junk.nc"), data_key="v"), GRID))
    monkeypatch.setattr(
        "podpac_exec.nodes.data._open_remote_netcdf",
        lambda url, options: (_ for _ in ()).throw(PermissionError(f"denied: key {FAKE['AWS_ACCESS_KEY_ID']}")),
    )
    run(lambda: pe.evaluate(pe.nodes.Dataset(source="s3://bucket/x.nc", data_key="v"), GRID))
    assert any("Dataset" in t or "cannot open" in t for t in texts)

    # the payload a client sends, with every effective setting offered to it
    request = build_request(good.definition, GRID.full_definition, OutputSpec(), settings.snapshot())
    texts.append(json.dumps(request))

    # the function side: direct, API Gateway and S3 paths
    texts.append(json.dumps(remote.handle_event(json.loads(json.dumps(request)))))
    run(lambda: remote.handle_event({**request, "pipeline": {"a": {"node": "nope"}}}))
    texts.append(remote.handle_event({"httpMethod": "POST", "requestContext": {}, "body": "{"})["body"])
    s3 = EchoingS3()
    monkeypatch.setattr(remote, "_client", s3)
    record = {"eventSource": "aws:s3", "s3": {"bucket": {"name": "b"}, "object": {"key": "p/input/x.json"}}}
    texts.append(json.dumps(remote.handle_event({"Records": [record]})))
    texts.extend(body.decode() for body in s3.bodies)

    assert main(["config", "show"]) == 0  # secret-like keys are masked: tests/cli/test_main.py
    out, err = capsys.readouterr()
    texts += [out, err, caplog.text]
    assert len(texts) >= 10
    for name, value in FAKE.items():
        leaks = [t for t in texts if value in t]
        assert not leaks, f"{name} leaked: {leaks[0][:200]}"
    assert any("****" in t for t in texts)  # the echoing S3 client's error was redacted, not dropped
