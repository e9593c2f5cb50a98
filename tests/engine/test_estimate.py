"""Plan figures, the printed estimate, the cost cap's one-line errors, combined batch estimates."""

from __future__ import annotations

import pytest

from podpac_exec.engine.estimate import CostLimitError, Estimate, PlanFigures, check_cost, check_spent, combine

FIGURES = PlanFigures("abc", "svc", tiles=4, eval_cells=400, out_cells=360, result_bytes=2880,
                      largest_tile_cells=100, concurrency=2)


def test_the_printed_plan_names_tiles_figures_and_cost():
    text = str(Estimate(FIGURES, {"basis": "history", "gb_seconds": 1.5, "cost_usd": 0.25}))
    assert text.startswith("plan: 4 tiles on svc (2 at once), 400 cells evaluated")
    assert "  gb seconds: 1.5" in text and text.endswith("estimated cost: $0.250000")
    assert str(Estimate(FIGURES)).endswith("estimated cost: none (this backend is not billed)")


def test_caps_refuse_before_and_stop_during_a_run():
    check_cost(Estimate(FIGURES, {"cost_usd": 0.1}), 0.2, "svc.max_cost_usd")
    check_cost(Estimate(FIGURES, {"cost_usd": 0.1}), None, "svc.max_cost_usd")
    with pytest.raises(CostLimitError, match=r"at least \$0.300000 \(4 tiles\), above svc.max_cost_usd=\$0.200000"):
        check_cost(Estimate(FIGURES, {"cost_usd": 0.3, "lower_bound": True}), 0.2, "svc.max_cost_usd")
    with pytest.raises(CostLimitError, match="stopped after 3 of 4 tiles") as info:
        check_spent(0.5, 0.2, "svc.max_cost_usd", 3, 4)
    assert info.value.field == "svc.max_cost_usd"


def test_combine_sums_numbers():
    both = combine([Estimate(FIGURES, {"cost_usd": 0.1, "basis": "a"}), Estimate(FIGURES, {"cost_usd": 0.2, "basis": "b"})])
    assert both == {"cost_usd": 0.3, "basis": "a", "tiles": 8}
