#!/usr/bin/env python
"""Record PODPAC 4.0.5's node class tree in ``podpac_exec/pipelines/podpac_classes.json``.

Run from the repository root with the real PODPAC 4.0.5:

    /work/podpac-ref/bin/python tests/data/podpac_reference/podpac_classes_generate.py

Every ``podpac.Node`` subclass defined in an importable ``podpac`` module (tests excluded), with
its pipeline path (what PODPAC writes as ``"node"``), every other name PODPAC's loader resolves
to it (``algorithm.Arithmetic``: any podpac module holding the class), its kind (``datasource``, ``compositor``, ``algorithm``,
``interpolation``, ``node``), whether it is abstract (a method raising NotImplementedError that
subclasses must provide, or a ``*Raw``/``Mixin``/base class), and its attr names. The upgrader
reads it (old class paths, which nodes are data sources) and so does the coverage report.
"""

from __future__ import annotations

import importlib
import inspect
import json
import logging
import os
import pkgutil
import sys
import tempfile
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "..", "podpac_exec", "pipelines", "podpac_classes.json")

_TMP = tempfile.mkdtemp(prefix="podpac_ref_")
os.environ["XDG_CONFIG_HOME"] = _TMP
os.chdir(_TMP)
warnings.simplefilter("ignore")
logging.disable(logging.WARNING)

import podpac  # noqa: E402
from podpac.core.compositor.compositor import BaseCompositor  # noqa: E402
from podpac.core.data.datasource import DataSource  # noqa: E402
from podpac.core.algorithm.algorithm import BaseAlgorithm  # noqa: E402
from podpac.core.interpolation.interpolation import Interpolate  # noqa: E402

assert podpac.__version__ == "4.0.5", podpac.__version__

#: Base classes meant for subclassing, not for pipelines (PODPAC gives them no ``_eval`` of their own).
BASES = {"Node", "DataSource", "BaseCompositor", "BaseAlgorithm", "Algorithm", "UnaryAlgorithm", "GenericInputs",
         "Reduce", "ReduceOrthogonal", "ModifyCoordinates", "BaseFileSource", "TileCompositorRaw"}


def modules():
    names = []
    for info in pkgutil.walk_packages(podpac.__path__, "podpac."):
        if ".test" in info.name or info.name.endswith("conftest") or "common_test_utils" in info.name:
            continue
        try:
            importlib.import_module(info.name)
        except Exception as exc:  # noqa: BLE001 - optional dependencies missing: record and go on
            print("skipped %s: %s" % (info.name, str(exc).splitlines()[0]), file=sys.stderr)
            continue
        names.append(info.name)
    return names


def kind(cls):
    if issubclass(cls, DataSource):
        return "datasource"
    if issubclass(cls, BaseCompositor):
        return "compositor"
    if issubclass(cls, Interpolate):
        return "interpolation"
    if issubclass(cls, BaseAlgorithm):
        return "algorithm"
    return "node"


def abstract(cls):
    if cls.__name__ in BASES or cls.__name__.endswith("Mixin"):
        return True
    for name in ("function", "algorithm", "get_data", "get_coordinates"):
        method = getattr(cls, name, None)
        if method is None:
            continue
        try:
            source = inspect.getsource(method)
        except (OSError, TypeError):
            continue
        if "raise NotImplementedError" in source and name in ("function",):
            return True
    return False


def main():
    found = {}
    for modname in modules():
        module = sys.modules[modname]
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, podpac.Node) and obj.__module__ == modname:
                found[obj] = modname[len("podpac."):] + "." + name
    public = {}
    for modname in ["podpac"] + modules():
        prefix = modname[len("podpac.") :] + "." if modname != "podpac" else ""
        for name, obj in vars(sys.modules[modname]).items():
            if inspect.isclass(obj) and obj in found and prefix + name != found[obj]:
                public.setdefault(obj, set()).add(prefix + name)
    classes = []
    for cls, path in sorted(found.items(), key=lambda kv: kv[1]):
        attrs = sorted(k for k, t in cls.class_traits().items() if t.metadata.get("attr"))
        classes.append(
            {
                "path": path,
                "name": cls.__name__,
                "aliases": sorted(public.get(cls, [])),
                "kind": kind(cls),
                "abstract": abstract(cls),
                "attrs": attrs,
            }
        )
    with open(OUT, "w") as f:
        f.write('{\n "podpac": %s,\n "classes": [\n' % json.dumps(podpac.__version__))
        f.write(",\n".join("  " + json.dumps(c) for c in classes))
        f.write("\n ]\n}\n")
    print("wrote %d classes to %s" % (len(classes), os.path.relpath(OUT)))


if __name__ == "__main__":
    main()
