"""Opening a data source's file or store, local or on S3, once the source policy allows it.

Every file-reading node goes through :func:`locate` (policy, scheme, existence) and then
:func:`open_binary` or :func:`s3_options`; failures become one-line :class:`PipelineError`s
that name the node and its ``attrs.source``, with secrets redacted.
"""

from __future__ import annotations

import io
import itertools
import os
import threading
from collections import OrderedDict
from typing import IO, Any

from podpac_exec.errors import PipelineError
from podpac_exec.nodes.sources import check_source_url, redact_credentials

FIELD = "attrs.source"


class ReadCounter:
    """Bytes data sources read in this process (files, objects, zarr chunks, elevation tiles);
    ``evaluate()`` records the bytes an evaluation read in its statistics (``bytes_read``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.total = 0

    def add(self, count: int) -> None:
        with self._lock:
            self.total += count


READ_BYTES = ReadCounter()


class CountingFile(io.RawIOBase):
    """A binary file object that adds what is read from it to :data:`READ_BYTES`."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self._raw = raw

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        READ_BYTES.add(len(data))
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def close(self) -> None:
        self._raw.close()
        super().close()


def bounding_window(index: tuple[Any, ...]) -> tuple[tuple[slice, ...], tuple[Any, ...]]:
    """A read index (step slices or integer arrays, numpy's advanced indexing) as the one
    contiguous window to read and the index into that window that gives ``data[index]``."""
    window, local = [], []
    for idx in index:
        if isinstance(idx, slice):
            start, stop, step = idx.indices(2**62)
            window.append(slice(start, stop))
            local.append(slice(None, None, step))
        else:
            lo, hi = int(idx.min()), int(idx.max()) + 1
            window.append(slice(lo, hi))
            local.append(idx - lo)
    return tuple(window), tuple(local)


def open_once(node: Any, factory: Any, key: Any = None) -> Any:
    """``factory()`` once per node (and ``key``), kept in the node's ``__dict__`` under
    ``_opened``; a failure caches nothing. :class:`~podpac_exec.nodes.data.DataSource` drops it when
    the node is pickled, so open files never travel with a node."""
    opened = node.__dict__.setdefault("_opened", {})
    if key not in opened:
        with node.__dict__.setdefault("_open_lock", threading.Lock()):
            if key not in opened:
                opened[key] = factory()
    return opened[key]


def s3_options(anon: bool) -> dict[str, Any]:
    """fsspec/s3fs options: the usual credential chain, the endpoint from ``AWS_ENDPOINT_URL_S3``
    or ``AWS_ENDPOINT_URL`` (the emulator), unsigned requests when ``anon``."""
    options: dict[str, Any] = {"anon": anon}
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        options["endpoint_url"] = endpoint
    return options


def locate(node: str, source: Any) -> str:
    """The location to open for ``source``: checked by the policy; a local path must exist."""
    if not source:
        raise PipelineError(f"{node} needs a 'source' path or URL", field=FIELD)
    location = check_source_url(source)  # a local path comes back resolved: open what was checked
    if location.startswith("s3://"):
        return location
    if "://" in location:
        scheme = location.split("://", 1)[0]
        raise PipelineError(f"{node}: unsupported URL scheme {scheme!r} in {source!r}; use a path, file:// or s3://", field=FIELD)
    if not os.path.exists(location):
        raise PipelineError(f"{node} source {source!r} does not exist", field=FIELD)
    return location


def open_binary(location: str, anon: bool = False) -> IO[bytes]:
    """A seekable binary file object: a local file, or an S3 object read by byte ranges."""
    if location.startswith("s3://"):
        import fsspec

        return CountingFile(fsspec.open(location, "rb", **s3_options(anon)).open())
    return CountingFile(open(location, "rb"))


def open_zarr_group(location: str, anon: bool = False) -> Any:
    """A zarr group (v2 or v3) opened read-only, whose chunk reads count into :data:`READ_BYTES`."""
    import zarr
    from zarr.storage import FsspecStore, LocalStore

    if location.startswith("s3://"):
        store = FsspecStore.from_url(location, storage_options=s3_options(anon), read_only=True)
    else:
        store = LocalStore(location, read_only=True)
    return zarr.open_group(_counting_store(store), mode="r")


def _counting_store(store: Any) -> Any:
    from zarr.storage import WrapperStore

    # one open store's chunks: a store opened again (a new node, a rewritten file) reads afresh
    root = (str(store), next(_OPENED))

    class CountingStore(WrapperStore):  # type: ignore[misc]
        """Counts what it reads and keeps whole chunks in :data:`CHUNKS`: neighbouring tiles
        (a row of strips across one chunk band) read each chunk once."""

        async def get(self, key: str, prototype: Any, byte_range: Any = None) -> Any:
            cacheable = byte_range is None and not key.endswith(("zarr.json", ".zarray", ".zgroup", ".zattrs", ".zmetadata"))
            if cacheable:
                hit = CHUNKS.get((root, key))
                if hit is not None:
                    return hit
            buffer = await super().get(key, prototype, byte_range)
            if buffer is not None:
                READ_BYTES.add(len(buffer))
                if cacheable:
                    CHUNKS.put((root, key), buffer, len(buffer))
            return buffer

    return CountingStore(store)


class ByteBoundedCache:
    """A least-recently-used cache bounded by the bytes it holds (``sources.chunk_cache_bytes``)."""

    def __init__(self) -> None:
        self._items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Any, value: Any, size: int) -> None:
        from podpac_exec.settings import settings

        limit = settings.get("sources.chunk_cache_bytes")
        if size > limit:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, size)
            self._bytes += size
            while self._bytes > limit:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


CHUNKS = ByteBoundedCache()
_OPENED = itertools.count()


def source_error(node: str, source: str, exc: BaseException, what: str = "cannot read") -> PipelineError:
    """A foreign library's failure as one line naming the node and its source."""
    detail = " ".join(str(exc).split()) or type(exc).__name__
    if "NoCredentialsError" in detail or "Unable to locate credentials" in detail:
        detail = ("no AWS credentials were found (configure them, e.g. AWS_PROFILE or the AWS_ACCESS_KEY_ID pair, "
                  "or set attrs.anon = true for a public bucket)")  # fmt: skip
    if len(detail) > 200:
        detail = detail[:197] + "..."
    return PipelineError(redact_credentials(f"{node} {what} {source!r}: {detail}"), field=FIELD)
