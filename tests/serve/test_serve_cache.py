"""The tile cache: a byte-bounded LRU in memory, and a directory that outlives the process."""

from __future__ import annotations

import pytest

from podpac_exec.serve.cache import TileCache, cache_key


def test_lru_evicts_the_least_recently_used_by_bytes():
    cache = TileCache(memory_bytes=30)
    cache.put("a", b"x" * 10)
    cache.put("b", b"y" * 10)
    cache.put("c", b"z" * 10)
    assert cache.get("a") == b"x" * 10  # a is now the most recent
    cache.put("d", b"w" * 10)  # evicts b
    assert cache.get("b") is None
    assert [cache.get(k) is not None for k in "acd"] == [True, True, True]
    assert (cache.hits, cache.misses) == (4, 1)


def test_entries_larger_than_the_memory_budget_are_not_kept():
    cache = TileCache(memory_bytes=4)
    cache.put("big", b"12345")
    assert cache.get("big") is None


def test_directory_keeps_tiles_across_instances(tmp_path):
    first = TileCache(memory_bytes=0, directory=tmp_path / "tiles")
    key = cache_key("hash", "WebMercatorQuad", 1, 0, 0, "png", "jet:0:1")
    first.put(key, b"png bytes")
    second = TileCache(memory_bytes=1024, directory=tmp_path / "tiles")
    assert second.get(key) == b"png bytes"
    assert list((tmp_path / "tiles").rglob(".tmp-*")) == []  # written through a rename


def test_keys_depend_on_every_part():
    base = ("hash", "WebMercatorQuad", 1, 0, 0, "png", "jet")
    keys = {cache_key(*base)} | {cache_key(*base[:i], "other", *base[i + 1 :]) for i in range(len(base))}
    assert len(keys) == len(base) + 1
    assert cache_key(*base) == cache_key(*base)


@pytest.mark.emulator
def test_s3_prefix_is_shared_by_caches_and_failures_are_misses(aws_emulator, caplog):
    s3 = aws_emulator.client("s3")
    s3.create_bucket(Bucket="tiles")
    key = cache_key("hash", "WebMercatorQuad", 2, 1, 1, "png", "")
    TileCache(memory_bytes=0, s3="s3://tiles/cache/v1").put(key, b"tile bytes")
    listed = s3.list_objects_v2(Bucket="tiles", Prefix="cache/v1/")["Contents"]
    assert [o["Key"] for o in listed] == [f"cache/v1/{key[:2]}/{key}"]
    other = TileCache(memory_bytes=1024, s3="s3://tiles/cache/v1")  # another server, another container
    assert other.get(key) == b"tile bytes" and other.get(cache_key("not", "there")) is None
    broken = TileCache(memory_bytes=0, s3="s3://no-such-bucket/x")
    broken.put(key, b"tile bytes")  # logged, not raised: the tile was served anyway
    assert broken.get(key) is None
    assert "cannot write s3://no-such-bucket/x" in caplog.text


def test_s3_url_is_checked():
    from podpac_exec.serve.errors import ServeRequestError

    with pytest.raises(ServeRequestError, match="serve.cache_s3 must be s3://bucket"):
        TileCache(memory_bytes=0, s3="tiles/cache")
