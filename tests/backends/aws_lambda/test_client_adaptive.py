"""Lambda's signals to the adaptive fan-out: failure kinds, learned REPORT figures, the estimate."""

from __future__ import annotations

from podpac_exec.backends.aws_lambda.client import adaptive
from podpac_exec.backends.aws_lambda.client.backend import ThrottledError, TransientRemoteError
from podpac_exec.backends.aws_lambda.client.version import mismatch_message
from podpac_exec.backends.aws_lambda.function.identity import identity, is_identify_request
from podpac_exec.engine.estimate import PlanFigures
from podpac_exec.errors import RemoteEvaluationError

CONFIG = {"function_name": "fn", "memory_mb": 1024, "price_per_gb_second": 1.0, "price_per_request": 0.0,
          "s3_threshold_bytes": 10**9}


def test_failure_kinds():
    assert adaptive.failure_kind(ThrottledError("TooManyRequestsException: Rate Exceeded.")) == "throttle"
    assert adaptive.failure_kind(RemoteEvaluationError("x", remote_type="Runtime.OutOfMemory")) == "memory"
    assert adaptive.failure_kind(TransientRemoteError("x", remote_type="Sandbox.Timedout")) == "time"
    assert adaptive.failure_kind(RemoteEvaluationError("x", remote_type="ValueError")) is None


def test_learned_figures_price_a_plan():
    history = [{"billed_ms": 100.0, "cells": 1000, "cold_start": False},
               {"billed_ms": 300.0, "cells": 1000, "cold_start": True},
               {"billed_ms": 5.0, "cells": 1000, "error_type": "Runtime.OutOfMemory"}]
    learned = adaptive.learn(history)
    assert learned.ms_per_cell == 0.1 and learned.cold_extra_ms == 200.0
    adaptive.HISTORY.clear()
    figures = PlanFigures("h", "aws_lambda", 10, 10_000, 10_000, 80_000, 1000, 4)
    floor = adaptive.estimate(figures, CONFIG, None)
    assert floor["lower_bound"] and floor["expected_invocations"] == 10
    adaptive.HISTORY.record("fn", 1024, "h", history)
    warm = adaptive.estimate(figures, CONFIG, None)
    assert warm["basis"] == "REPORT history of recent runs" and warm["expected_cold_starts"] == 0
    assert warm["gb_seconds"] == 1.0 and warm["cost_usd"] == 1.0  # 10 000 cells x 0.1 ms at 1 GB
    adaptive.HISTORY.clear()


def test_identity_and_mismatch_messages():
    mine = identity()
    assert is_identify_request({"version": 1, "identify": True}) and not is_identify_request({"identify": True, "x": 1})
    assert mismatch_message("fn", mine, dict(mine)) is None
    other = {**mine, "node_set": "0" * 16, "dependencies": "1" * 16}
    message = mismatch_message("fn", mine, other)
    assert "node_set 0000000000000000" in message and "podpac-exec aws build" in message
    assert mismatch_message("fn", mine, {**mine, "dependencies": "x"}) is None  # shown by `aws status`, not refused
    assert "does not report its version" in mismatch_message("fn", mine, {})
