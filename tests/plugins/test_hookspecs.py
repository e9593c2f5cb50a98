"""Every hook is documented and has a test that exercises it (datasette's rule)."""

from __future__ import annotations

import inspect
from pathlib import Path

from podpac_exec.plugins import hookspecs

HOOKS = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("podpac_exec_")]
TESTS = Path(__file__).parents[1]


def test_every_hook_has_a_docstring_saying_how_it_is_called():
    assert len(HOOKS) >= 4
    for name in HOOKS:
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert "Called" in doc, name


def test_every_hook_is_exercised_by_a_test():
    text = "".join(p.read_text() for p in TESTS.rglob("test_*.py") if p.name != "test_hookspecs.py")
    missing = [name for name in HOOKS if name not in text]
    assert not missing, f"hooks without a test: {missing}"


def test_firstresult_is_declared_where_documented():
    for name in HOOKS:
        fn = getattr(hookspecs, name)
        first = fn.podpac_exec_spec.get("firstresult", False)
        doc = " ".join((fn.__doc__ or "").split())
        assert first == ("Stops at the first non-None result" in doc), name
