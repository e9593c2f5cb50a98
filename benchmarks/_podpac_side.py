"""PODPAC 4.0.5's side of ``benchmarks/vs_podpac.py``; runs in PODPAC's own venv (``make podpac-venv``).

    build/podpac-venv/bin/python benchmarks/_podpac_side.py CASES.json OUT_DIR REPEATS

``CASES.json`` is a list of ``{"name", "pipeline", "coordinates"}`` (PODPAC JSON). For each case
PODPAC loads the pipeline once and evaluates it ``REPEATS`` times; the values (transposed to the
request's dim order) go to ``OUT_DIR/<name>.npy`` and one JSON line per case to stdout:
``{"name", "seconds": [...], "dims": [...]}`` or ``{"name", "error": "..."}``. Settings as in the
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
    cases_path, out_dir, repeats = argv[0], argv[1], int(argv[2])
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
            cases = json.load(f)
        for case in cases:
            name = case["name"]
            try:
                node = podpac.Node.from_json(json.dumps(case["pipeline"]))
                coords = podpac.Coordinates.from_json(json.dumps(case["coordinates"]))
                seconds = []
                for _ in range(repeats):
                    start = time.perf_counter()
                    out = node.eval(coords)
                    seconds.append(time.perf_counter() - start)
                order = [d for d in coords.dims if d in out.dims] + [d for d in out.dims if d not in coords.dims]
                out = out.transpose(*order)
                np.save(os.path.join(out_dir, f"{name}.npy"), np.asarray(out.values, dtype=float))
                record = {"name": name, "seconds": seconds, "dims": list(out.dims)}
            except Exception as exc:  # noqa: BLE001 - one failing case must not stop the others
                record = {"name": name, "error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}
            print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
