"""Straggler decisions: most tiles done, far above the median, once per tile, within the budget."""

from __future__ import annotations

from podpac_exec.engine.stragglers import StragglerPolicy, stragglers

POLICY = StragglerPolicy(min_done_fraction=0.9, factor=3.0, min_seconds=0.5, max_backups=2)


def test_only_late_tiles_after_most_are_done():
    common = dict(durations=[0.2] * 18, backed_up=set(), backups_started=0)
    assert stragglers(POLICY, done=18, total=20, running={"a": 5.0, "b": 0.3}, **common) == ["a"]
    assert stragglers(POLICY, done=10, total=20, running={"a": 5.0}, **common) == []  # too early
    assert stragglers(POLICY, done=18, total=20, running={"a": 0.55}, **common) == []  # under 3x the median
    assert stragglers(POLICY, done=18, total=20, running={"a": 5.0}, durations=[0.2] * 18, backed_up={"a"},
                      backups_started=1) == []
    assert stragglers(POLICY, done=18, total=20, running={"a": 5.0, "b": 9.0, "c": 7.0}, **common) == ["b", "c"]
    assert stragglers(StragglerPolicy(enabled=False), done=18, total=20, running={"a": 5.0}, **common) == []
