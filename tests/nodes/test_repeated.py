"""A node that several consumers share is evaluated once per evaluation, and none writes into it."""

from __future__ import annotations

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.nodes import Arange, Arithmetic, SinCoords, utility
from podpac_exec.nodes.generic import Mask
from podpac_exec.nodes.repeated import evaluating, is_shared, repeated_nodes

COORDS = pe.Coordinates([pe.clinspace(0, 1, 600, "lat"), pe.clinspace(0, 1, 700, "lon")])


def counting_arange(monkeypatch) -> list[int]:
    calls: list[int] = []
    original = utility.Arange._eval
    monkeypatch.setattr(utility.Arange, "_eval", lambda self, c: calls.append(1) or original(self, c))
    return calls


def test_a_node_two_consumers_share_is_evaluated_once_and_never_written_into(monkeypatch):
    x = Arange()
    doubled = Arithmetic(A=x, eqn="A * 2")  # would write its result into a fresh A
    node = Arithmetic(A=x, B=doubled, eqn="A + B")
    assert repeated_nodes(node) == frozenset({x.hash})
    calls = counting_arange(monkeypatch)
    out = pe.evaluate(node, COORDS, backend="local")
    expected = np.arange(COORDS.size, dtype=float).reshape(COORDS.shape) * 3
    np.testing.assert_array_equal(out.values, expected)
    assert len(calls) == 1


def test_equal_definitions_count_as_one_node_and_masks_share_their_source(monkeypatch):
    source = Arithmetic(A=Arange(), eqn="A + 1")
    node = Mask(source=source, mask=Arithmetic(A=Arange(), eqn="A % 7 == 0"))  # two equal Aranges
    calls = counting_arange(monkeypatch)
    tiled = pe.evaluate(node, COORDS, backend="local", max_tile_bytes=2**20)
    untiled = pe.evaluate(node, COORDS, backend="local")
    n = np.arange(COORDS.size, dtype=float).reshape(COORDS.shape)
    np.testing.assert_array_equal(untiled.values, np.where(n % 7 == 0, np.nan, n + 1))
    np.testing.assert_array_equal(tiled.values, untiled.values)
    assert len(calls) == 2  # Arange needs the whole request: one tile each time, one Arange in each


def test_without_repeats_nothing_is_kept_and_fresh_values_stay_fresh():
    node = Arithmetic(A=SinCoords(), eqn="A * 2")
    assert repeated_nodes(node) == frozenset()
    with evaluating(node):
        assert not is_shared(node.inputs["A"]) and node.inputs["A"].gives_fresh_values()
    x = Arange()
    shared = Arithmetic(A=x, B=x, eqn="A - B")
    with evaluating(shared):
        assert is_shared(x) and not x.gives_fresh_values()
    assert not is_shared(x) and x.gives_fresh_values()


@pytest.mark.parametrize("eqn", ["A - B", "A * B"])
def test_one_input_under_two_names_is_evaluated_once(monkeypatch, eqn):
    x = Arange()
    calls = counting_arange(monkeypatch)
    out = pe.evaluate(Arithmetic(A=x, B=x, eqn=eqn), COORDS, backend="local")
    n = np.arange(COORDS.size, dtype=float).reshape(COORDS.shape)
    np.testing.assert_array_equal(out.values, n - n if eqn == "A - B" else n * n)
    assert len(calls) == 1
