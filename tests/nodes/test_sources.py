"""The Dataset source policy (podpac_exec.nodes.sources): schemes, buckets, local paths, metadata hosts.

Every refusal happens before any I/O and names ``attrs.source``; inside a Lambda function local
paths are confined to ``LAMBDA_TASK_ROOT`` whatever the settings say.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.nodes.data import Dataset
from podpac_exec.settings import settings
from podpac_exec.nodes.sources import SourceNotAllowedError, check_source_url

GRID = pe.Coordinates([pe.clinspace(0, 1, 2, "lat"), pe.clinspace(0, 1, 2, "lon")])


def policy(**values):
    """The effective settings with ``sources.<key>`` overridden."""
    return settings.snapshot({f"sources.{k}": v for k, v in values.items()})


def in_function(**values):
    """The effective settings inside the Lambda function: ``values`` plus the function's overlay."""
    from podpac_exec.backends.aws_lambda.function.remote import source_confinement

    own = policy(**values)
    return settings.snapshot({**{f"sources.{k}": v for k, v in values.items()}, **source_confinement(own)})


def refused(url, snapshot=None, fragment=""):
    with pytest.raises(SourceNotAllowedError) as err:
        check_source_url(url, snapshot or policy())
    assert err.value.field == "attrs.source"
    assert fragment in str(err.value), str(err.value)
    return err.value


@pytest.fixture
def in_lambda(monkeypatch, tmp_path):
    """The environment of a function whose code lives in ``tmp_path/task``."""
    task = tmp_path / "task"
    task.mkdir()
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "podpac-exec")
    monkeypatch.setenv("LAMBDA_TASK_ROOT", str(task))
    return task


@pytest.fixture
def grid_file(tmp_path):
    import xarray as xr

    path = tmp_path / "grid.nc"
    xr.Dataset({"v": (("lat", "lon"), np.arange(4.0).reshape(2, 2))}, coords={"lat": [0.0, 1.0], "lon": [0.0, 1.0]}).to_netcdf(path)
    return path


# -- schemes and URL forms -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, fragment",
    [
        ("ftp://host/file.nc", "scheme 'ftp'"),
        ("memory://x.nc", "scheme 'memory'"),
        ("http://169.254.169.254/latest/meta-data/", "scheme 'http'"),
        ("gcs://bucket/x.zarr", "scheme 'gcs'"),
        ("zip://grid.nc::s3://bucket/a.zip", "chained"),
        ("simplecache::s3://bucket/a.nc", "chained"),
        ("s3://bucket/a.nc::memory://x", "chained"),
        ("zip::/var/task/a.zip", "chained"),
        ("[mode=bytes]http://169.254.169.254/x", "well-formed"),
        ("/data/x.nc\x00.zarr", "NUL"),
        ("s3:///key.nc", "bucket"),
        ("s3://user:pw@bucket/key.nc", "bucket"),
        ("file://otherhost/etc/passwd", "no host"),
        ("", "non-empty"),
    ],
)
def test_refused_urls(url, fragment):
    refused(url, fragment=fragment)


def test_allowed_forms_are_normalized(tmp_path):
    assert check_source_url("S3://bucket/a/b.nc", policy()) == "s3://bucket/a/b.nc"
    assert check_source_url(f"file://{tmp_path}/x.nc", policy()) == str(tmp_path.resolve() / "x.nc")
    assert check_source_url(f"file://localhost{tmp_path}/x.nc", policy()) == str(tmp_path.resolve() / "x.nc")
    assert check_source_url("relative/x.nc", policy()) == str(Path.cwd().resolve() / "relative" / "x.nc")


def test_schemes_and_buckets_are_configurable():
    refused("s3://bucket/a.nc", policy(allowed_schemes=["file"]), "scheme 's3'")
    refused("/tmp/x.nc", policy(allowed_schemes=["s3"]), "scheme 'file'")
    only = policy(allowed_buckets=["good", "shared/podpac/data/"])
    assert check_source_url("s3://good/a.nc", only) == "s3://good/a.nc"
    assert check_source_url("s3://shared/podpac/data/x.zarr", only) == "s3://shared/podpac/data/x.zarr"
    refused("s3://evil/a.nc", only, "outside sources.allowed_buckets (good, shared/podpac/data)")
    refused("s3://good.evil/a.nc", only, "outside")
    refused("s3://shared/podpac/output/other-callers-result.nc", only, "outside")
    refused("s3://shared/podpac/database.nc", only, "outside")


# -- network hosts (only reachable when an operator allows http/https) --------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://169.254.170.2/v2/credentials",  # the ECS/container credentials endpoint
        "https://[fe80:0:0:0:0:0:0:1]/x.nc",  # link-local, written without '::'
        "http://[fd00:ec2:0:0:0:0:0:254]/latest/meta-data/",  # EC2's IPv6 metadata address
        "http://[0:0:0:0:0:ffff:a9fe:a9fe]/",  # IPv4-mapped 169.254.169.254
        "http://2852039166/",  # 169.254.169.254 as one decimal number
        "http://0xa9fea9fe/",
        "http://0251.0376.0251.0376/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://instance-data/latest/",
        "http://METADATA.GOOGLE.INTERNAL./",
        "http://user@169.254.169.254:80/",
    ],
)
def test_metadata_and_link_local_hosts_are_refused(url):
    refused(url, policy(allowed_schemes=["http", "https"]))


def test_loopback_and_private_hosts_are_refused_inside_a_function(in_lambda):
    web = in_function(allowed_schemes=["http"])
    for url in ("http://127.0.0.1:9001/2018-06-01/runtime/invocation/next", "http://10.0.0.5/x.nc", "http://0.0.0.0/"):
        refused(url, web, "not a public address")
        assert check_source_url(url, policy(allowed_schemes=["http"]))  # outside a function: allowed
    assert check_source_url("http://example.com/x.nc", web) == "http://example.com/x.nc"


# -- local paths ---------------------------------------------------------------------------------------


def test_local_paths_can_be_turned_off_or_confined(tmp_path):
    refused(str(tmp_path / "x.nc"), policy(allow_local_paths=False), "sources.allow_local_paths")
    refused(f"file://{tmp_path}/x.nc", policy(allow_local_paths=False), "sources.allow_local_paths")
    data = tmp_path / "data"
    data.mkdir()
    confined = policy(local_roots=[str(data)])
    assert check_source_url(str(data / "x.nc"), confined) == str(data.resolve() / "x.nc")
    refused(str(data / ".." / "x.nc"), confined, "outside")
    refused(str(tmp_path / "data2" / "x.nc"), confined, "outside")  # a sibling sharing the prefix


def test_symlinks_are_resolved_before_checking(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (tmp_path / "secret.nc").write_text("x")
    (data / "link.nc").symlink_to(tmp_path / "secret.nc")
    (data / "dir").symlink_to(tmp_path)
    confined = policy(local_roots=[str(data)])
    refused(str(data / "link.nc"), confined, "outside")
    refused(str(data / "dir" / "secret.nc"), confined, "outside")


def test_inside_a_function_only_the_task_root_is_readable(in_lambda, tmp_path, grid_file):
    anywhere = in_function(local_roots=[])  # what the settings say does not widen the function's rule
    for url in ("/etc/passwd", str(grid_file), f"file://{grid_file}", f"{in_lambda}/../grid.nc", "/proc/self/environ"):
        refused(url, anywhere, "outside")
    (in_lambda / "grid.nc").write_bytes(grid_file.read_bytes())
    assert check_source_url(f"{in_lambda}/grid.nc", anywhere) == str(in_lambda.resolve() / "grid.nc")
    refused(f"{in_lambda}/grid.nc", in_function(allow_local_paths=False), "allow_local_paths")


def test_inside_a_function_without_a_task_root_no_local_path_is_readable(in_lambda, monkeypatch):
    monkeypatch.delenv("LAMBDA_TASK_ROOT")
    refused(str(in_lambda / "grid.nc"), in_function(), "allow_local_paths")


# -- the Dataset node: refused before it opens anything --------------------------------------------------


def test_dataset_checks_at_load_and_again_before_opening(in_lambda, grid_file, monkeypatch):
    from podpac_exec.backends.aws_lambda.function.remote import source_confinement

    confined = source_confinement(settings.snapshot())
    definition = {"d": {"node": "data.Dataset", "attrs": {"source": str(grid_file), "data_key": "v"}}}
    with settings.override(**confined), pytest.raises(SourceNotAllowedError) as err:
        pe.Node.from_definition(definition)
    assert err.value.field == "d.attrs.source"

    node = Dataset(source=str(grid_file), data_key="v")  # built where local paths are allowed...
    opened = []
    monkeypatch.setattr("xarray.open_dataset", lambda *a, **k: opened.append(a))
    with settings.override(**confined), pytest.raises(SourceNotAllowedError):
        node.eval(GRID)  # ...is still refused where it is opened, and nothing is opened
    assert opened == []


def test_dataset_under_the_task_root_still_works(in_lambda, grid_file):
    from podpac_exec.backends.aws_lambda.function.remote import source_confinement

    (in_lambda / "grid.nc").write_bytes(grid_file.read_bytes())
    confined = source_confinement(settings.snapshot())
    out = pe.evaluate(Dataset(source=os.path.join(str(in_lambda), "grid.nc"), data_key="v"), GRID, **confined)
    np.testing.assert_array_equal(out.values, [[0.0, 1.0], [2.0, 3.0]])


def test_source_policy_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PODPAC_EXEC_SOURCES__ALLOW_LOCAL_PATHS", "false")
    monkeypatch.setenv("PODPAC_EXEC_SOURCES__ALLOWED_BUCKETS", "data-a, data-b")
    with pytest.raises(SourceNotAllowedError, match="allow_local_paths"):
        Dataset(source=str(tmp_path / "x.nc"), data_key="v")
    with pytest.raises(SourceNotAllowedError, match="data-a, data-b"):
        Dataset(source="s3://other/x.nc", data_key="v")
    assert Dataset(source="s3://data-b/x.nc", data_key="v").source == "s3://data-b/x.nc"
