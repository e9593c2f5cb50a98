"""Lazy dependencies: the pieces a request needs, fetched at cold start, and an import hook for the rest.

``podpac_deps.json`` (written by the packager beside the handler) lists the pieces of the staged
dependencies zip: byte range, sha256, the top-level modules each provides and the pieces it
requires, plus the modules each node type declares. :class:`PieceStore` makes pieces importable
(``<root>/<piece>/`` on ``sys.path``): a piece already unpacked under ``root`` (a warm container,
or another container sharing the emulator's host directory) is reused; otherwise it is fetched
with parallel ranged GETs, unzipped as it arrives, checked, and renamed into place, under a
per-piece lock. :class:`PieceFinder`, first on ``sys.meta_path``, fetches a piece on the first
import of one of its modules by the project's code; an import made by a dependency that does not
require the piece (an optional ``try: import scipy``) is answered "not installed".

Standard library only: it runs before the dependencies exist.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

from deps_fetch import DependencyError, Timings, make_read_only, ranged_chunks, unpack_stream

#: Pieces unpacked at once, and ranged GETs in flight at once (over all pieces).
PIECE_WORKERS = 4
GET_WORKERS = 8
#: The modules the AWS SDK piece replaces when the runtime's botocore is too old for aiobotocore.
SDK_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3")


def load_info(directory: str) -> dict[str, Any] | None:
    """The pieces manifest beside the handler, or None (no file, or a format without pieces)."""
    try:
        with open(os.path.join(directory, "podpac_deps.json"), encoding="utf-8") as fh:
            info = json.load(fh)
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and info.get("pieces") else None


@contextlib.contextmanager
def exclusive(path: str) -> Iterator[None]:
    """An exclusive lock on ``path`` (flock: released if the holder dies; per open, so threads too)."""
    import fcntl

    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class PieceStore:
    """Pieces of one staged dependencies zip, made importable on demand (thread-safe)."""

    def __init__(
        self, info: Mapping[str, Any], bucket: str, key: str, base: str, client: Callable[[], Any],
        shared: bool = False,
    ) -> None:  # fmt: skip
        self.info, self.bucket, self.key, self.shared = info, bucket, key, shared
        self.root = os.path.join(base, "podpac_exec_deps", info["deps_zip"]["sha256"])
        self.pieces: dict[str, dict[str, Any]] = {p["name"]: p for p in info["pieces"]}
        self.by_module = {m: p["name"] for p in info["pieces"] for m in p["modules"]}
        self.client = client
        self.timings = Timings()
        self.fetched: list[str] = []
        self.reused: list[str] = []
        self.refused: dict[str, str] = {}  # piece -> the importer told it is not installed
        self._futures: dict[str, Future[None]] = {}
        self._lock = threading.Lock()
        self._pieces_pool = ThreadPoolExecutor(PIECE_WORKERS, thread_name_prefix="podpac-piece")
        self._gets_pool = ThreadPoolExecutor(GET_WORKERS, thread_name_prefix="podpac-get")

    @property
    def total_bytes(self) -> int:
        return int(self.info["deps_zip"]["zipped_bytes"])

    def closure(self, names: Iterable[str]) -> list[str]:
        """``names`` and every piece they require, sorted."""
        seen: set[str] = set()
        stack = [n for n in names if n in self.pieces]
        while stack:
            name = stack.pop()
            if name not in seen:
                seen.add(name)
                stack.extend(self.pieces[name]["requires"])
        return sorted(seen)

    def plan(self, node_names: Iterable[str]) -> list[str]:
        """The pieces the function itself and the given node types declare (with what they require)."""
        prefetch = self.info.get("prefetch", {})
        table = prefetch.get("nodes", {})
        modules = set(prefetch.get("function", ()))
        for name in node_names:
            modules.update(table.get(name, ()))
        return self.closure(self.by_module[m] for m in modules if m in self.by_module)

    def forget(self, name: str) -> None:
        """Leave a piece to the runtime (the SDK, when the runtime's is recent enough)."""
        self.by_module = {m: p for m, p in self.by_module.items() if p != name}

    def ready(self, name: str) -> bool:
        future = self._futures.get(name)
        return future is not None and future.done() and future.exception() is None

    def ensure(self, names: Iterable[str]) -> None:
        """Make ``names`` and what they require importable; the first failure is raised."""
        with self._lock:
            futures = [self._future(n) for n in self.closure(names)]
        errors = [f.exception() for f in futures if f.exception() is not None]
        if errors:
            raise errors[0]  # type: ignore[misc]

    def _future(self, name: str) -> Future[None]:
        future = self._futures.get(name)
        if future is None or (future.done() and future.exception() is not None):  # a failure may be retried
            future = self._futures[name] = self._pieces_pool.submit(self._materialize, name)
        return future

    def _materialize(self, name: str) -> None:
        piece = self.pieces[name]
        final = os.path.join(self.root, name)
        with exclusive(os.path.join(self.root, f"{name}.lock")):
            if os.path.isdir(final):
                self.reused.append(name)
            else:
                self._fetch(piece, final)
                self.fetched.append(name)
        sys.path.insert(0, final)

    def _fetch(self, piece: Mapping[str, Any], final: str) -> None:
        partial = f"{final}.partial-{os.getpid()}-{threading.get_ident()}"
        first, last = piece["offset"], piece["offset"] + piece["length"] - 1
        where = f"dependency piece {piece['name']} (s3://{self.bucket}/{self.key} bytes {first}-{last})"
        shutil.rmtree(partial, ignore_errors=True)
        os.makedirs(partial)
        try:
            chunks = ranged_chunks(self.client(), self.bucket, self.key, piece["offset"], piece["length"],
                                   self._gets_pool, self.timings)  # fmt: skip
            digest, _ = unpack_stream(chunks, piece["length"], partial, frozenset(piece.get("symlinks", ())), self.timings)
            if digest != piece["sha256"]:
                raise DependencyError(f"{where} has sha256 {digest}, expected {piece['sha256']}")
            if self.shared:  # shared between containers: none may change what the others import
                make_read_only(partial)
            os.replace(partial, final)  # the lock holder alone renames: a directory there is complete
        except Exception as exc:
            shutil.rmtree(partial, ignore_errors=True)
            if isinstance(exc, DependencyError) and str(exc).startswith(where):
                raise
            detail = str(exc) if isinstance(exc, DependencyError) else f"{type(exc).__name__}: {exc}"
            raise DependencyError(f"{where}: {detail}".replace("\n", " ")) from exc

    def figures(self) -> dict[str, Any]:
        """What the cold start (and the imports since) fetched, for the response's ``meta``."""
        t = self.timings
        return {
            "deps_fetched_bytes": t.fetched_bytes, "deps_total_bytes": self.total_bytes,
            "deps_fetch_s": round(t.fetch_s, 4), "deps_unpack_s": round(t.unpack_s, 4),
            "deps_pieces_fetched": ",".join(sorted(self.fetched)), "deps_pieces_reused": ",".join(sorted(self.reused)),
            "deps_pieces_refused": ",".join(sorted(self.refused)),
        }  # fmt: skip


_IMPORT_MACHINERY = re.compile(r"^(importlib(\..*)?|_frozen_importlib(_external)?|deps_pieces)$")


def _importer() -> str:
    """The module whose code is importing (the first frame outside the import machinery)."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if not _IMPORT_MACHINERY.match(name):
            return str(name)
        frame = frame.f_back  # type: ignore[assignment]
    return ""


class PieceFinder:
    """A meta path finder that fetches the piece of a top-level module when it is first imported.

    ``find_spec`` runs under the interpreter's global import lock, so it must not wait for the
    fetch threads (they import too: an encoding, a botocore module): it answers with a
    :class:`PieceLoader` spec, and the fetch happens in ``create_module``, which runs under the
    module's own lock only. A probe (``importlib.util.find_spec``) fetches nothing.
    """

    def __init__(self, store: PieceStore) -> None:
        self.store = store
        self.importers: dict[str, list[str]] = dict(store.info.get("importers", {}))

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if path is not None:
            return None  # a submodule: its package's __path__ already points into a piece
        name = self.store.by_module.get(fullname)
        if name is None or self.store.ready(name):
            return None
        importer = _importer().partition(".")[0]
        allowed = self.importers.get(importer)
        if allowed is not None and name not in allowed:
            self.store.refused.setdefault(name, importer)
            return None  # an optional import by a package that does not require it: "not installed"
        import importlib.machinery

        return importlib.machinery.ModuleSpec(fullname, PieceLoader(self.store, name))


class PieceLoader:
    """Fetches the piece, then hands the module to the loader Python finds in the piece's directory."""

    def __init__(self, store: PieceStore, piece: str) -> None:
        self.store, self.piece = store, piece

    def create_module(self, spec: Any) -> Any:
        import importlib.machinery

        self.store.ensure([self.piece])
        real = importlib.machinery.PathFinder.find_spec(spec.name, [os.path.join(self.store.root, self.piece)])
        if real is None:
            raise ModuleNotFoundError(f"piece {self.piece} holds no module {spec.name}", name=spec.name)
        spec.loader, spec.origin, spec.loader_state = real.loader, real.origin, real.loader_state
        spec.submodule_search_locations = real.submodule_search_locations
        spec.has_location, spec.cached = real.has_location, real.cached
        return real.loader.create_module(spec)

    def exec_module(self, module: Any) -> None:  # not reached: create_module swaps in the real loader
        module.__spec__.loader.exec_module(module)


def satisfies(version: str, specifier: str) -> bool:
    """Whether ``version`` meets a PEP 440 specifier of plain releases (``>=1.40.46,<1.40.62``)."""

    def release(text: str) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", text.split("+")[0])[:4])

    have = release(version)
    for clause in filter(None, (c.strip() for c in specifier.split(","))):
        op, want = re.match(r"(~=|==|!=|<=|>=|<|>)?\s*(.*)", clause).groups()  # type: ignore[union-attr]
        target = release(want)
        width = max(len(have), len(target))
        a, b = have + (0,) * (width - len(have)), target + (0,) * (width - len(target))
        ok = {
            "==": a == b, "!=": a != b, "<=": a <= b, ">=": a >= b, "<": a < b, ">": a > b,
            "~=": a >= b and a[: len(target) - 1] == b[: len(target) - 1], None: a == b,
        }[op]  # fmt: skip
        if not ok:
            return False
    return True


def runtime_sdk_fits(sdk: Mapping[str, Any] | None) -> tuple[bool, str]:
    """Whether the runtime's botocore (read from its metadata, not imported) satisfies the pin."""
    if not sdk:
        return True, "nothing pins botocore"
    import importlib.metadata

    try:
        version = importlib.metadata.version("botocore")
    except importlib.metadata.PackageNotFoundError:
        return False, "the runtime has no botocore"
    fits = satisfies(version, sdk["botocore"])
    return fits, f"the runtime's botocore {version} {'satisfies' if fits else 'does not satisfy'} {sdk['botocore']}"


def switch_sdk(store: PieceStore, sdk: Mapping[str, Any]) -> None:
    """Fetch the SDK piece with the runtime's client, then make the piece's copy the one imported."""
    store.ensure([sdk["piece"]])
    for name in list(sys.modules):
        if name.partition(".")[0] in SDK_MODULES:
            del sys.modules[name]


def node_names(event: Any) -> list[str]:
    """The node types of a direct request or an API Gateway JSON body (others: none known yet)."""
    pipeline = event.get("pipeline") if isinstance(event, dict) else None
    if pipeline is None and isinstance(event, dict) and isinstance(event.get("body"), str):
        with contextlib.suppress(ValueError):
            body = json.loads(event["body"])
            pipeline = body.get("pipeline") if isinstance(body, dict) else None
    if isinstance(pipeline, str):
        with contextlib.suppress(ValueError):
            pipeline = json.loads(pipeline)
    if not isinstance(pipeline, dict):
        return []
    return sorted({v["node"] for v in pipeline.values() if isinstance(v, dict) and isinstance(v.get("node"), str)})


def elapsed(t0: float) -> float:
    return round(time.monotonic() - t0, 4)
