"""A node that several consumers share is evaluated once per evaluation; nodes giving fresh
values are left to each consumer, which may write into its own array."""

from __future__ import annotations

import numpy as np

import podpac_exec as pe
from podpac_exec.nodes import Arange, Arithmetic, SinCoords, utility
from podpac_exec.nodes.data import Array
from podpac_exec.nodes.generic import Mask
from podpac_exec.nodes.repeated import evaluating, is_shared, repeated_nodes

COORDS = pe.Coordinates([pe.clinspace(0, 1, 300, "lat"), pe.clinspace(0, 1, 400, "lon")])
VALUES = np.random.default_rng(0).normal(size=COORDS.shape)


def counting(monkeypatch, cls) -> list[int]:
    calls: list[int] = []
    original = cls._eval
    monkeypatch.setattr(cls, "_eval", lambda self, c: calls.append(1) or original(self, c))
    return calls


def test_a_source_two_consumers_share_is_evaluated_once(monkeypatch):
    source = Array(source=VALUES, coordinates=COORDS)
    node = Arithmetic(A=source, B=Arithmetic(A=source, eqn="A * 2"), eqn="A + B")
    assert repeated_nodes(node) == {source.hash: 2}
    calls = counting(monkeypatch, Array)
    out = pe.evaluate(node, COORDS, backend="local")
    np.testing.assert_array_equal(out.values, VALUES + VALUES * 2)
    assert len(calls) == 1
    np.testing.assert_array_equal(source.source, VALUES)  # no consumer wrote into the shared values


def test_equal_definitions_count_as_one_node_in_every_tile(monkeypatch):
    node = Mask(source=Array(source=VALUES, coordinates=COORDS),
                mask=Arithmetic(A=Array(source=VALUES, coordinates=COORDS), eqn="A > 0.5"))
    calls = counting(monkeypatch, Array)
    tiled = pe.evaluate(node, COORDS, backend="local", max_tile_bytes=2**16, local__max_workers=1)
    tiles = len(calls)
    untiled = pe.evaluate(node, COORDS, backend="local")
    np.testing.assert_array_equal(untiled.values, np.where(VALUES > 0.5, np.nan, VALUES))
    np.testing.assert_array_equal(tiled.values, untiled.values)
    assert tiles > 1 and len(calls) == tiles + 1  # one read per tile, then one for the whole


def test_a_node_giving_fresh_values_is_evaluated_per_consumer_and_each_may_write_into_its_own(monkeypatch):
    x = Arange()
    doubled = Arithmetic(A=x, eqn="A * 2")  # writes its result into its fresh A
    node = Arithmetic(A=x, B=doubled, eqn="A + B")
    assert repeated_nodes(node) == {}
    calls = counting(monkeypatch, utility.Arange)
    out = pe.evaluate(node, COORDS, backend="local")
    np.testing.assert_array_equal(out.values, np.arange(COORDS.size, dtype=float).reshape(COORDS.shape) * 3)
    assert len(calls) == 2


def test_shared_values_are_nobody_elses_and_the_memo_ends_with_the_evaluation():
    source = Array(source=VALUES, coordinates=COORDS)
    node = Arithmetic(A=source, B=source, eqn="A - B")
    fresh = Arithmetic(A=SinCoords(), eqn="A * 2")
    with evaluating(fresh):  # nothing repeated: nothing kept
        assert not is_shared(fresh.inputs["A"]) and fresh.inputs["A"].gives_fresh_values()
    with evaluating(node):
        assert is_shared(source)
        first, _ = source.eval_values(COORDS)
        second, _ = source.eval_values(COORDS)
        assert first is second
    assert not is_shared(source)
    np.testing.assert_array_equal(pe.evaluate(node, COORDS, backend="local").values, np.zeros(COORDS.shape))
