"""Encoded tiles by key: a memory LRU bounded in bytes, and optionally a directory behind it."""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path


def cache_key(*parts: object) -> str:
    """A stable key of the parts (pipeline hash, tile, format, style...)."""
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()


class TileCache:
    """``get``/``put`` of bytes by key; thread-safe. ``memory_bytes=0`` disables the memory
    layer; ``directory`` (created when missing) keeps entries across restarts."""

    def __init__(self, memory_bytes: int, directory: str | os.PathLike[str] | None = None) -> None:
        self.memory_bytes = memory_bytes
        self.directory = Path(directory) if directory else None
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)

    def get(self, key: str) -> bytes | None:
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return data
        data = self._read_file(key)
        with self._lock:
            if data is None:
                self.misses += 1
                return None
            self.hits += 1
        self._remember(key, data)
        return data

    def put(self, key: str, data: bytes) -> None:
        self._remember(key, data)
        self._write_file(key, data)

    def clear_memory(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0

    def _remember(self, key: str, data: bytes) -> None:
        if len(data) > self.memory_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= len(old)
            self._items[key] = data
            self._size += len(data)
            while self._size > self.memory_bytes:
                _, evicted = self._items.popitem(last=False)
                self._size -= len(evicted)

    def _path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / key[:2] / key

    def _read_file(self, key: str) -> bytes | None:
        if self.directory is None:
            return None
        try:
            return self._path(key).read_bytes()
        except OSError:
            return None

    def _write_file(self, key: str, data: bytes) -> None:
        if self.directory is None:
            return
        path = self._path(key)
        path.parent.mkdir(exist_ok=True)
        # write then rename: a reader never sees half a tile, two writers never mix bytes
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
