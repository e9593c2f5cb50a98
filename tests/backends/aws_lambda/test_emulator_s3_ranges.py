"""Ranged GETs on the emulator's S3 answer as S3 does, reading only their range (s3_ranges.py)."""

from __future__ import annotations

import io
import zipfile

import pytest
from botocore.exceptions import ClientError
from podpac_exec.backends.aws_lambda.emulator import artifacts

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(120)]

BODY = bytes(range(256)) * 4096  # 1 MiB, every byte position distinguishable modulo 256


@pytest.fixture
def s3(aws_emulator):
    client = aws_emulator.client("s3")
    client.create_bucket(Bucket="ranges")
    client.put_object(Bucket="ranges", Key="obj", Body=BODY)
    return client


@pytest.mark.parametrize(
    ("header", "start", "stop"),
    [("bytes=0-0", 0, 1), ("bytes=10-99", 10, 100), ("bytes=1000000-", 1000000, len(BODY)),
     ("bytes=5-99999999", 5, len(BODY)), ("bytes=-16", len(BODY) - 16, len(BODY))],
)
def test_a_range_answers_its_bytes_and_headers(s3, header, start, stop):
    resp = s3.get_object(Bucket="ranges", Key="obj", Range=header)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert resp["Body"].read() == BODY[start:stop]
    assert resp["ContentLength"] == stop - start
    assert resp["ContentRange"] == f"bytes {start}-{stop - 1}/{len(BODY)}"
    assert resp["ETag"] == s3.head_object(Bucket="ranges", Key="obj")["ETag"]


def test_whole_objects_and_odd_ranges_still_answer_the_whole_object(s3):
    assert s3.get_object(Bucket="ranges", Key="obj")["Body"].read() == BODY
    # S3 answers a multi-range or malformed header with the whole object
    for header in ("bytes=0-1,5-6", "bytes=abc"):
        resp = s3.get_object(Bucket="ranges", Key="obj", Range=header)
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert resp["Body"].read() == BODY


def test_a_range_past_the_end_is_invalid_range(s3):
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket="ranges", Key="obj", Range=f"bytes={len(BODY)}-")
    assert info.value.response["Error"]["Code"] == "InvalidRange"


class _CountingBuffer:
    """A key's value buffer that counts the bytes read from it."""

    def __init__(self, inner):
        self.inner, self.read_bytes = inner, 0

    def read(self, n=-1):
        data = self.inner.read(n)
        self.read_bytes += len(data)
        return data

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_a_ranged_get_reads_only_its_range_from_the_object():
    """Before, each ranged GET read the whole object: a 64 kB range of 8 MB read the 8 MB."""
    import boto3
    from moto import mock_aws
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends
    from podpac_exec.backends.aws_lambda.emulator import s3_ranges

    s3_ranges.install()
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="big")
        body = bytes(range(256)) * (32 << 10)  # 8 MiB
        client.put_object(Bucket="big", Key="obj", Body=body)
        key = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].buckets["big"].keys["obj"]
        key._value_buffer = counting = _CountingBuffer(key._value_buffer)
        got = client.get_object(Bucket="big", Key="obj", Range="bytes=1048576-1114111")["Body"].read()
        assert got == body[1048576:1114112]
        assert counting.read_bytes == 65536
        assert client.get_object(Bucket="big", Key="obj")["Body"].read() == body  # the whole, as before


def test_function_zips_unpack_with_modes_and_skip_unsafe_members(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("pkg/", "")
        zf.writestr("pkg/mod.py", "X = 1\n")
        script = zipfile.ZipInfo("bin/tool")
        script.external_attr = 0o755 << 16
        zf.writestr(script, "#!/bin/sh\n")
        zf.writestr("../escape.txt", "no")
        zf.writestr("/abs.txt", "no")
    root = artifacts.unpack(buf.getvalue(), "abc", tmp_path / "code")
    assert (root / "pkg" / "mod.py").read_text() == "X = 1\n"
    assert (root / "bin" / "tool").stat().st_mode & 0o777 == 0o755
    assert not (tmp_path / "code" / "escape.txt").exists() and not (root / "abs.txt").exists()
    assert sorted(p.name for p in (tmp_path / "code").iterdir()) == ["abc"]  # no partial directory left
    assert artifacts.unpack(b"not read again", "abc", tmp_path / "code") == root
