"""PODPAC 4.0.5's side of ``benchmarks/vs_podpac.py``; runs in PODPAC's own venv (``make podpac-venv``).

    build/podpac-venv/bin/python benchmarks/_podpac_side.py CASES.json OUT_DIR

``CASES.json`` is a list of ``{"name", "pipeline", "coordinates"}`` (PODPAC JSON). Each line read
from stdin names one case (``{"name": ..., "save": bool}``): PODPAC loads its pipeline (once per
case) and evaluates it once, answering one JSON line on stdout, ``{"name", "seconds", "cpu",
"dims"}`` or ``{"name", "error"}``; with ``save`` the values (transposed to the request's dim
order) go to ``OUT_DIR/<name>.npy``. Taking requests one evaluation at a time lets the caller
alternate PODPAC's and its own runs, so both see the same machine load. Settings as in the
reference generators: no multithreading, no cache, no chunking. Imports nothing from podpac-exec.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time
import warnings


def main(argv: list[str]) -> int:
    cases_path, out_dir = argv[0], argv[1]
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="podpac_side_") as home:
        os.environ["XDG_CONFIG_HOME"] = home  # no user settings.json
        os.chdir(home)
        warnings.simplefilter("ignore")
        logging.disable(logging.CRITICAL)
        import numpy as np
        import podpac

        os.chdir(cwd)
        podpac.settings["MULTITHREADING"] = False
        podpac.settings["ENABLE_CACHE"] = False
        podpac.settings["DEBUG"] = False
        podpac.settings["CHUNK_SIZE"] = None
        podpac.settings.allow_unrestricted_code_execution(True)
        with open(cases_path) as f:
            cases = {c["name"]: c for c in json.load(f)}
        loaded: dict = {}
        for line in sys.stdin:
            request = json.loads(line)
            name = request["name"]
            try:
                if name not in loaded:
                    case = cases[name]
                    node = podpac.Node.from_json(json.dumps(case["pipeline"]))
                    loaded[name] = node, podpac.Coordinates.from_json(json.dumps(case["coordinates"]))
                node, coords = loaded[name]
                start, cpu = time.perf_counter(), time.process_time()
                out = node.eval(coords)
                seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
                order = [d for d in coords.dims if d in out.dims] + [d for d in out.dims if d not in coords.dims]
                out = out.transpose(*order)
                if request.get("save"):
                    np.save(os.path.join(out_dir, f"{name}.npy"), np.asarray(out.values, dtype=float))
                reply = {"name": name, "seconds": seconds, "cpu": cpu, "dims": list(out.dims)}
            except Exception as exc:  # noqa: BLE001 - one failing case must not stop the others
                first = str(exc).splitlines()[0] if str(exc) else ""
                reply = {"name": name, "error": f"{type(exc).__name__}: {first}"[:300]}
            print(json.dumps(reply), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
