"""The import graph, read from the source with ast (nothing imported): no cycles among the
project's modules (function-level imports count; type-only imports do not), the core never
imports a backend, and the core names no AWS service or SDK."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (("podpac_exec", "podpac_exec"), ("backends", "podpac_exec.backends"))


def modules() -> dict[str, Path]:
    found = {}
    for directory, package in PACKAGES:
        for path in (ROOT / directory).rglob("*.py"):
            parts = [p for p in path.relative_to(ROOT / directory).with_suffix("").parts if p != "__init__"]
            found[".".join([package, *parts])] = path
    return found


MODULES = modules()


def imports_of(name: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    type_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                 for statement in node.body for n in ast.walk(statement)}  # fmt: skip
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            out.add(module)
            out.update(f"{module}.{alias.name}" for alias in node.names)
    # importing an ancestor package (whose __init__ re-exports) is not an arrow of the module's own
    return {m for m in out if m in MODULES and m != name and not name.startswith(m + ".")}


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


def cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in GRAPH:
        if start in index:
            continue
        work = [(start, iter(sorted(GRAPH[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(GRAPH[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_the_graph_covers_the_project():
    assert "podpac_exec.engine.executor" in GRAPH and "podpac_exec.backends.aws_lambda.function.remote" in GRAPH
    assert "podpac_exec.nodes.base" in GRAPH["podpac_exec.nodes.loader"]


def test_no_import_cycles():
    assert cycles() == []


def test_the_core_imports_no_backend():
    core = {m: deps for m, deps in GRAPH.items() if not m.startswith("podpac_exec.backends")}
    offending = {m: sorted(d for d in deps if d.startswith("podpac_exec.backends")) for m, deps in core.items()}
    assert {m: d for m, d in offending.items() if d} == {}


@pytest.mark.parametrize("word", ["aws_lambda", "AWS_LAMBDA", "boto3"])
def test_the_core_names_no_aws(word):
    core = [p for m, p in MODULES.items() if not m.startswith("podpac_exec.backends")]
    assert [str(p.relative_to(ROOT)) for p in core if word in p.read_text()] == []


def test_every_package_is_listed_for_installation():
    """pyproject lists its packages by hand (backends/ installs as podpac_exec.backends); one
    left out is missing from wheels and from the Lambda function's zip."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    packages = {name for name, path in MODULES.items() if path.name == "__init__.py"} | {"podpac_exec"}
    assert sorted(packages - listed) == []
