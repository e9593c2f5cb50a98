"""The dependencies zip as separately fetchable pieces, and the manifest the handler reads.

A piece is one distribution, or distributions that share a top-level name (a namespace) or
are fetched as one (the AWS SDK). The dependencies zip holds the pieces one after another
(entries sorted within each), so a piece is one byte range of the staged object: the handler
fetches only the pieces a pipeline needs, with ranged GETs, and checks each range's sha256.
The zip stays a valid zip of everything (its central directory follows the last piece).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from podpac_exec.backends.aws_lambda.packaging.contents import Contents, Entry
from podpac_exec.backends.aws_lambda.packaging.resolve import ResolvedWheel, requirement
from podpac_exec.backends.aws_lambda.packaging.spec import RUNTIME_SDK, canonical

#: The piece holding the AWS SDK when the handler may need it (aiobotocore pins a botocore).
SDK_PIECE = "aws-sdk"
#: Top-level modules the function imports for any evaluation: the local backend's dask.array
#: fan-out and xarray results (node types add theirs through ``Node.declared_imports``).
FUNCTION_IMPORTS = ("numpy", "xarray", "dask")
#: Only libraries at least this big are compared for duplicates (hashing every file is slow).
DEDUPE_MIN_BYTES = 64 * 1024


@dataclass
class Piece:
    """Distributions fetched together, the top-level modules they provide and the pieces they need."""

    name: str
    contents: list[Contents]
    modules: tuple[str, ...]
    requires: tuple[str, ...] = ()
    linked_bytes: int = 0  # duplicate libraries replaced by symlinks

    @property
    def entries(self) -> list[Entry]:
        return [e for c in self.contents for e in c.entries]

    @property
    def packages(self) -> dict[str, str]:
        return {c.name: c.version for c in self.contents}


def top_level_modules(entries: Iterable[Entry]) -> set[str]:
    """Importable top-level names: packages (directories) and modules (``x.py``, ``x.cpython-*.so``)."""
    names: set[str] = set()
    for e in entries:
        first, sep, _ = e.arcname.partition("/")
        if sep:
            if first.isidentifier() and first != "__pycache__":  # numpy.libs, *.dist-info: not importable
                names.add(first)
        elif first.endswith(".py") or ".so" in first:
            stem = first.split(".")[0]
            if stem.isidentifier():
                names.add(stem)
    return names


def distribution_requires(
    name: str, wheels: Mapping[str, ResolvedWheel], env: dict[str, str], extras: Mapping[str, set[str]]
) -> set[str]:
    """The distributions ``name`` requires on the target, with the extras this build activated."""
    out: set[str] = set()
    active = extras.get(name, set()) | {""}
    for text in wheels[name].requires_dist:
        dep = requirement(text)
        if dep.marker is None or any(dep.marker.evaluate({**env, "extra": e}) for e in active):
            out.add(canonical(dep.name))
    return out - {name}


_EXTRA = re.compile(r"""extra\s*==\s*['"]([^'"]+)['"]""")
#: Extras for developing a package, not for using it: they do not make an import expected.
_DEVELOPMENT_EXTRAS = re.compile(r"test|dev|doc|lint|type|bench")


def usable_extras(wheel: ResolvedWheel) -> set[str]:
    """Every extra a distribution declares, but those for its own development (test, docs ...)."""
    names = {m for text in wheel.requires_dist for m in _EXTRA.findall(text)}
    return {n for n in names if not _DEVELOPMENT_EXTRAS.search(n)}


def required_closure(start: Iterable[str], edges: Mapping[str, Iterable[str]]) -> set[str]:
    """Everything reachable from ``start`` along ``edges`` (start included)."""
    seen: set[str] = set()
    stack = list(start)
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(edges.get(node, ()))
    return seen


def group_pieces(
    heavy: Sequence[Contents], wheels: Mapping[str, ResolvedWheel], env: dict[str, str],
    extras: Mapping[str, set[str]],
) -> list[Piece]:  # fmt: skip
    """One piece per distribution; distributions sharing a top-level name (or the SDK's) merge."""
    parent = {c.name: c.name for c in heavy}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owner: dict[str, str] = {}
    for c in heavy:
        for module in top_level_modules(c.entries):
            if module in owner:
                parent[find(c.name)] = find(owner[module])
            owner[module] = c.name
    sdk = [c.name for c in heavy if c.name in RUNTIME_SDK]
    for name in sdk[1:]:
        parent[find(name)] = find(sdk[0])
    groups: dict[str, list[Contents]] = {}
    for c in sorted(heavy, key=lambda c: c.name):
        groups.setdefault(find(c.name), []).append(c)
    piece_of: dict[str, str] = {}
    pieces: list[Piece] = []
    for members in groups.values():
        names = [c.name for c in members]
        label = SDK_PIECE if set(names) & set(RUNTIME_SDK) else "+".join(names)
        entries = [e for c in members for e in c.entries]
        pieces.append(Piece(label, members, tuple(sorted(top_level_modules(entries)))))
        piece_of.update(dict.fromkeys(names, label))
    for piece in pieces:
        wanted = set().union(*(distribution_requires(c.name, wheels, env, extras) for c in piece.contents))
        piece.requires = tuple(sorted({piece_of[d] for d in wanted if d in piece_of} - {piece.name}))
    return sorted(pieces, key=lambda p: p.name)


def link_duplicates(pieces: Sequence[Piece], readers: Any) -> int:
    """Replace a vendored library byte-identical to one in a required piece by a relative symlink.

    ``readers(entry) -> bytes`` reads an entry. Returns the bytes saved. The handler unpacks
    every piece into ``<root>/<piece name>/``, so the link is ``../<piece>/<path>`` from there.
    """
    edges = {p.name: p.requires for p in pieces}
    index: dict[tuple[int, str], tuple[str, str]] = {}  # (size, sha256) -> (piece, arcname)

    def key(entry: Entry) -> tuple[int, str]:
        return entry.size, hashlib.sha256(readers(entry)).hexdigest()

    def candidate(e: Entry) -> bool:
        return e.size >= DEDUPE_MIN_BYTES and ".libs/" in e.arcname and ".so" in e.arcname and not e.symlink

    counts: dict[int, int] = {}
    for e in (e for p in pieces for e in p.entries if candidate(e)):
        counts[e.size] = counts.get(e.size, 0) + 1
    repeated = {size for size, n in counts.items() if n > 1}
    saved = 0
    for piece in sorted(pieces, key=lambda p: (len(required_closure([p.name], edges)), p.name)):
        below = required_closure(piece.requires, edges)
        for contents in piece.contents:
            kept: list[Entry] = []
            for entry in contents.entries:
                if candidate(entry) and entry.size in repeated:
                    k = key(entry)
                    source = index.get(k)
                    if source is not None and source[0] in below:
                        target = "../" * (entry.arcname.count("/") + 1) + f"{source[0]}/{source[1]}"
                        kept.append(Entry(entry.arcname, len(target), data=target.encode(), symlink=True))
                        saved += entry.size
                        piece.linked_bytes += entry.size
                        continue
                    index.setdefault(k, (piece.name, entry.arcname))
                kept.append(entry)
            contents.entries = kept
    return saved


def node_imports() -> tuple[dict[str, list[str]], list[str]]:
    """Every registered node name -> the top-level modules its type declares; and the function's own.

    Read here, at build time, so the handler can prefetch a request's pieces before it imports
    anything beyond the standard library.
    """
    from podpac_exec.nodes.registry import get_node_registry

    table: dict[str, list[str]] = {}
    for record in get_node_registry().records:
        imports = sorted(record.cls.declared_imports())
        for name in record.names:
            table[name] = imports
    return table, sorted(FUNCTION_IMPORTS)


def importer_allowances(
    everything: Sequence[Contents], pieces: Sequence[Piece], wheels: Mapping[str, ResolvedWheel],
    env: dict[str, str], extras: Mapping[str, set[str]], project_modules: Iterable[str],
) -> dict[str, list[str]]:  # fmt: skip
    """For each top-level module of a dependency, the pieces its distribution requires (closure):
    its own requirements with every extra it declares but development ones (h5netcdf needs h5py
    through its ``h5py`` extra), theirs with the extras this build activated (so pandas'
    ``computation`` extra does not let dask fetch scipy).

    The handler's import hook fetches a missing piece for an import made by the project's own
    code, but treats an import made by a dependency that could not require that piece as an
    optional one (``try: import scipy.sparse``, as dask.array does) and answers "not installed".
    The project's modules are absent from the table: they may fetch any piece.
    """
    piece_of = {c.name: p.name for p in pieces for c in p.contents}
    edges = {c.name: distribution_requires(c.name, wheels, env, extras) for c in everything if c.name in wheels}
    own = set(project_modules)
    table: dict[str, list[str]] = {}
    for c in everything:
        if c.name not in wheels:
            continue
        direct = distribution_requires(c.name, wheels, env, {c.name: extras.get(c.name, set()) | usable_extras(wheels[c.name])})
        reach = required_closure([c.name, *direct], edges)  # its own extras; below it, what this build activated
        allowed = sorted({piece_of[d] for d in reach if d in piece_of})
        for module in top_level_modules(c.entries) - own:
            table[module] = sorted(set(table.get(module, [])) | set(allowed))
    return table


def piece_records(pieces: Sequence[Piece], spans: Mapping[str, tuple[int, int]], path: Any) -> list[dict[str, Any]]:
    """The manifest rows: byte range, its sha256, sizes and what each piece provides and needs."""
    rows: list[dict[str, Any]] = []
    with open(path, "rb") as fh:
        for piece in pieces:
            start, end = spans[piece.name]
            fh.seek(start)
            digest = hashlib.sha256(fh.read(end - start)).hexdigest()
            rows.append({
                "name": piece.name, "packages": piece.packages, "modules": list(piece.modules),
                "requires": list(piece.requires), "offset": start, "length": end - start, "sha256": digest,
                "unzipped_bytes": sum(e.size for e in piece.entries), "files": len(piece.entries),
                "linked_bytes": piece.linked_bytes, "symlinks": sorted(e.arcname for e in piece.entries if e.symlink),
            })  # fmt: skip
    return rows
