"""Regenerate podpac_cases.json with PODPAC 4.0.5 (not run by the tests).

    /work/podpac-ref/bin/python tests/data/coordinates/make_podpac_fixture.py

Each case: the input JSON, the JSON PODPAC writes back, and PODPAC's values for every udim
(floats as JSON numbers, datetimes as numpy's ISO strings, with the numpy dtype).
"""

import json
import random
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import podpac  # noqa: E402

HAND = [
    {"coords": [{"start": -45, "stop": 45, "size": 4, "name": "lat"}]},
    {"coords": [{"start": 0, "stop": 1, "step": 0.1, "name": "lat"}]},
    {"coords": [{"start": 0, "stop": 1, "step": 0.3, "name": "lat"}]},
    {"coords": [{"start": 1, "stop": 0, "step": -0.3, "name": "lon"}]},
    {"coords": [{"start": 0.1, "stop": 0.7, "size": 7, "name": "lat"}]},
    {"coords": [{"start": -45, "stop": 45, "size": 100, "name": "lat"}, {"start": -180, "stop": 180, "size": 37, "name": "lon"}]},
    {"coords": [{"start": 45, "stop": -45, "size": 4, "name": "lat"}]},
    {"coords": [{"start": 0, "stop": 10, "step": 3, "name": "alt"}]},
    {"coords": [{"start": 0, "stop": 0, "step": 1, "name": "lat"}]},
    {"coords": [{"start": 0, "stop": 1, "step": 2, "name": "lat"}]},
    {"coords": [{"start": 1e-7, "stop": 3.3e-6, "size": 33, "name": "lat"}]},
    {"coords": [{"start": 1234.5678, "stop": -987.125, "size": 29, "name": "lon"}]},
    {"coords": [{"start": "2018-01-01", "stop": "2018-01-10", "step": "2,D", "name": "time"}]},
    {"coords": [{"start": "2018-01-10", "stop": "2018-01-01", "step": "-1,D", "name": "time"}]},
    {"coords": [{"start": "2018-01-01", "stop": "2018-01-03", "size": 3, "name": "time"}]},
    {"coords": [{"start": "2018-01-01", "stop": "2018-01-02", "size": 7, "name": "time"}]},
    {"coords": [{"start": "2018-01-01", "stop": "2018-01-02", "size": 5, "name": "time"}]},
    {"coords": [{"start": "2018-01-01T00:00:00", "stop": "2018-06-01", "step": "1,M", "name": "time"}]},
    {"coords": [{"start": "2018-01-31", "stop": "2018-05-01", "step": "1,M", "name": "time"}]},
    {"coords": [{"start": "2016-02-29", "stop": "2021-01-01", "step": "1,Y", "name": "time"}]},
    {"coords": [{"start": "2018-01-01T06", "stop": "2018-01-02", "step": "6,h", "name": "time"}]},
    {"coords": [{"start": "2018-01-01T00:00:00.5", "stop": "2018-01-01T00:00:03", "step": "500,ms", "name": "time"}]},
    {"coords": [{"start": 0, "stop": 0.99999999999, "step": 0.1, "name": "lat"}]},
    {"coords": [{"start": 0, "stop": 0.9999999999, "step": 0.1, "name": "lat"}]},
    {"coords": [{"start": "2018-01-01T00:00:00.000000000", "stop": "2018-01-01T00:00:19.999999999", "step": "10,s", "name": "time"}]},
    {"coords": [{"start": "2018-01-01T00:00:00.000000000", "stop": "2018-01-01T00:00:19.99999999", "step": "10,s", "name": "time"}]},
    {"coords": [{"start": "2018-01-01", "stop": "2018-01-01T23", "step": "1,D", "name": "time"}]},
    {"coords": [{"start": "2018-03", "stop": "2020-01", "step": "7,M", "name": "time"}]},
    {"coords": [{"start": "2018-01-01", "stop": "2019-01-01", "size": 3, "name": "time"}]},
    {"coords": [{"start": "2018", "stop": "2022", "size": 3, "name": "time"}]},
    {"coords": [{"start": -1e-300, "stop": 1e-300, "size": 5, "name": "alt"}]},
    {"coords": [{"start": 1e15, "stop": 1e15 + 64, "step": 16, "name": "alt"}]},
    {"coords": [{"values": [1, 2, 3], "name": "lat"}]},
    {"coords": [{"values": [5], "name": "lat"}]},
    {"coords": [{"values": [3.5, -1.25, 1e300, 0.1], "name": "alt"}]},
    {"coords": [{"values": ["2018-01-01", "2018-01-02T12:00"], "name": "time"}]},
    {"coords": [{"values": ["2018-01-01T00:00:00.123456789", "2019"], "name": "time"}]},
    {"coords": [[{"values": [1, 2, 3], "name": "lat"}, {"values": [4, 5, 6], "name": "lon"}], {"start": "2018-01-01", "stop": "2018-01-03", "step": "1,D", "name": "time"}]},
    {"coords": [[{"start": 0, "stop": 1, "size": 5, "name": "lon"}, {"start": 10, "stop": 20, "size": 5, "name": "lat"}, {"values": ["2018-01-01", "2018-01-02", "2018-01-03", "2018-01-04", "2018-01-05"], "name": "time"}]]},
    {"coords": [{"start": 0, "stop": 1, "size": 3, "name": "lat"}], "crs": "EPSG:4326"},
    {"coords": [{"start": 0, "stop": 100, "size": 3, "name": "alt"}, {"values": [0, 1], "name": "lat"}], "crs": "+proj=utm +zone=10 +datum=WGS84 +vunits=m"},
]


def random_cases(rng: random.Random, count: int) -> list:
    cases = []
    for _ in range(count):
        a = round(rng.uniform(-1000, 1000), rng.choice([0, 1, 2, 3, 6, 12]))
        b = round(rng.uniform(-1000, 1000), rng.choice([0, 1, 2, 3, 6, 12]))
        if a == b:
            continue
        if rng.random() < 0.5:
            item = {"start": a, "stop": b, "size": rng.randint(2, 40), "name": "lat"}
        else:
            n = rng.uniform(1, 40)
            step = round((b - a) / n, rng.choice([1, 2, 3, 6, 17]))
            if step == 0:
                continue
            item = {"start": a, "stop": b, "step": step, "name": "lon"}
        cases.append({"coords": [item]})
    return cases


def values_of(c1d) -> dict:
    v = c1d.coordinates
    if np.issubdtype(v.dtype, np.datetime64):
        return {"dtype": str(v.dtype), "values": v.astype(str).tolist()}
    return {"dtype": str(v.dtype), "values": v.tolist()}


def main() -> None:
    cases = []
    for d in HAND + random_cases(random.Random(20240601), 160):
        text = json.dumps(d)
        c = podpac.Coordinates.from_json(text)
        cases.append(
            {
                "input": text,
                "json": c.json,
                "shape": list(c.shape),
                "values": {u: values_of(c[u]) for u in c.udims},
            }
        )
    out = Path(__file__).with_name("podpac_cases.json")
    out.write_text(json.dumps({"podpac_version": podpac.version.semver(), "cases": cases}, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main()
