"""Reproducible zips: sorted entries, fixed dates and modes, wheel members copied compressed."""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from podpac_exec.backends.aws_lambda.packaging.contents import Entry
from podpac_exec.backends.aws_lambda.packaging.fileio import file_sha256
from podpac_exec.backends.aws_lambda.packaging.spec import ZIP_COMPRESSLEVEL, ZIP_DATE, PackagingError


@dataclass(frozen=True)
class ZipStats:
    """A written zip: name, sha256 and sizes."""

    name: str
    sha256: str
    zipped_bytes: int
    unzipped_bytes: int
    files: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "sha256": self.sha256, "zipped_bytes": self.zipped_bytes,
            "unzipped_bytes": self.unzipped_bytes, "files": self.files,
        }  # fmt: skip


def write_zip(path: Path, entries: Sequence[Entry], prefix: str = "") -> ZipStats:
    """A reproducible zip: sorted entries, fixed dates and modes.

    Wheel members keep the wheel's own compressed bytes (copied, not recompressed: the same
    wheels give the same bytes, and it makes builds several times faster); generated and
    source files are deflated at ``ZIP_COMPRESSLEVEL``.
    """
    return write_grouped_zip(path, [("", entries)], prefix)[0]


def write_grouped_zip(
    path: Path, groups: Sequence[tuple[str, Sequence[Entry]]], prefix: str = ""
) -> tuple[ZipStats, dict[str, tuple[int, int]]]:
    """:func:`write_zip` with the entries of each group together (sorted within the group), in
    the given group order; also each group's byte span ``(start, end)`` in the file."""
    seen: dict[str, Entry] = {}
    for _, entries in groups:
        for e in entries:
            if e.arcname in seen:
                raise PackagingError(f"two sources for {prefix}{e.arcname}: {_origin(seen[e.arcname])} and {_origin(e)}")
            seen[e.arcname] = e
    if len(seen) > 0xFFFF:
        raise PackagingError(f"{path.name} would hold {len(seen)} files; more than 65535 needs zip64, which this writer omits")
    path.parent.mkdir(parents=True, exist_ok=True)
    spans: dict[str, tuple[int, int]] = {}
    with open(path, "wb") as fh, _WheelReaders() as readers:
        writer = _ZipWriter(fh)
        for name, entries in groups:
            start = fh.tell()
            for entry in sorted(entries, key=lambda e: e.arcname):
                mode = 0o120777 if entry.symlink else 0o100755 if entry.executable else 0o100644
                writer.add(prefix + entry.arcname, *_member_bytes(entry, readers), mode=mode)
            spans[name] = (start, fh.tell())
        writer.close()
    unzipped = sum(e.size for e in seen.values())
    return ZipStats(path.name, file_sha256(path), path.stat().st_size, unzipped, len(seen)), spans


def read_entries(entries: Sequence[Entry]) -> dict[int, bytes]:
    """The uncompressed bytes of many entries, by ``id(entry)``, opening each wheel once."""
    out: dict[int, bytes] = {}
    by_wheel: dict[Path, list[Entry]] = {}
    for e in entries:
        if e.data is not None:
            out[id(e)] = e.data
        else:
            assert e.wheel is not None
            by_wheel.setdefault(e.wheel, []).append(e)
    for wheel, group in by_wheel.items():
        with zipfile.ZipFile(wheel) as zf:
            for e in group:
                out[id(e)] = zf.read(e.member or "")
    return out


def read_entry(entry: Entry) -> bytes:
    """The uncompressed bytes of an entry."""
    if entry.data is not None:
        return entry.data
    assert entry.wheel is not None and entry.member is not None
    with zipfile.ZipFile(entry.wheel) as zf:
        return zf.read(entry.member)


def _origin(entry: Entry) -> str:
    return entry.wheel.name if entry.wheel else "the source tree"


_LOCAL = struct.Struct("<IHHHHHIIIHH")  # local file header
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")  # central directory header
_END = struct.Struct("<IHHHHIIH")  # end of central directory
_DOS_TIME, _DOS_DATE = 0, (ZIP_DATE[0] - 1980) << 9 | ZIP_DATE[1] << 5 | ZIP_DATE[2]


class _ZipWriter:
    """The minimal zip format: no extra fields, no comments, no data descriptors, no zip64."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.central: list[bytes] = []

    def add(self, name: str, method: int, crc: int, data: bytes, size: int, *, mode: int) -> None:
        raw = name.encode("utf-8")
        flags = 0 if name.isascii() else 0x800  # bit 11: the name is UTF-8
        offset = self.fh.tell()
        if offset > 0xFFFFFFFF or size > 0xFFFFFFFF:
            raise PackagingError(f"{name}: over 4 GB needs zip64, which this writer omits")
        common = (20, flags, method, _DOS_TIME, _DOS_DATE, crc, len(data), size, len(raw))
        self.fh.write(_LOCAL.pack(0x04034B50, *common, 0) + raw)
        self.fh.write(data)
        self.central.append(_CENTRAL.pack(0x02014B50, 3 << 8 | 20, *common, 0, 0, 0, 0, mode << 16, offset) + raw)

    def close(self) -> None:
        start = self.fh.tell()
        for header in self.central:
            self.fh.write(header)
        count, size = len(self.central), self.fh.tell() - start
        self.fh.write(_END.pack(0x06054B50, 0, 0, count, count, size, start, 0))


class _WheelReaders:
    """Open wheels, each once: its member table and a raw file handle."""

    def __init__(self) -> None:
        self.open: dict[Path, tuple[zipfile.ZipFile, BinaryIO]] = {}

    def __enter__(self) -> _WheelReaders:
        return self

    def __exit__(self, *exc: object) -> None:
        for zf, fh in self.open.values():
            zf.close()
            fh.close()

    def get(self, wheel: Path) -> tuple[zipfile.ZipFile, BinaryIO]:
        if wheel not in self.open:
            self.open[wheel] = (zipfile.ZipFile(wheel), open(wheel, "rb"))
        return self.open[wheel]


def _member_bytes(entry: Entry, readers: _WheelReaders) -> tuple[int, int, bytes, int]:
    """(method, crc32, stored bytes, uncompressed size) of an entry."""
    if entry.data is None:
        assert entry.wheel is not None and entry.member is not None
        zf, fh = readers.get(entry.wheel)
        info = zf.getinfo(entry.member)
        if info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) and not info.flag_bits & 0x1:
            fh.seek(info.header_offset)
            header = _LOCAL.unpack(fh.read(_LOCAL.size))
            fh.seek(info.header_offset + _LOCAL.size + header[-2] + header[-1])
            return info.compress_type, info.CRC, fh.read(info.compress_size), info.file_size
        data = zf.read(entry.member)  # another compression method: deflate it ourselves
    else:
        data = entry.data
    packer = zlib.compressobj(ZIP_COMPRESSLEVEL, zlib.DEFLATED, -15)
    return zipfile.ZIP_DEFLATED, zlib.crc32(data), packer.compress(data) + packer.flush(), len(data)

