"""Shared by the coordinates tests: PODPAC's reference cases and the fuzzing profile."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings

from podpac_exec.coordinates import Coordinates1d

FIXTURE = Path(__file__).parents[1] / "data" / "coordinates" / "podpac_cases.json"
PODPAC_CASES = json.loads(FIXTURE.read_text())["cases"]
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def values_of(c1d: Coordinates1d) -> list[Any]:
    v = c1d.coordinates
    return v.astype(str).tolist() if v.dtype.kind == "M" else v.tolist()
