"""Backend resolution: unknown names, missing extras, instance reuse."""

from __future__ import annotations

import importlib.util

import pytest

import podpac_exec as pe
from podpac_exec.plugins.backends import BackendSpec, get_backend, get_backend_specs
from podpac_exec.backends.local.backend import LocalBackend
from podpac_exec.plugins.manager import hookimpl, register_plugin, unregister_plugin


def test_unknown_backend_lists_installed():
    coords = pe.Coordinates([pe.clinspace(0, 1, 2, "lat")])
    with pytest.raises(pe.UnknownBackendError) as err:
        pe.evaluate(pe.nodes.Arange(), coords, backend="nope")
    assert isinstance(err.value, ValueError)
    assert "'nope'" in str(err.value) and "local" in str(err.value) and "aws_lambda" in str(err.value)


class NeedsMissing:
    @hookimpl
    def podpac_exec_register_backends(self):
        return [BackendSpec(name="needs_missing", backend_class="nowhere:Nothing",
                            requires=("module_that_is_not_installed_xyz",), extra="xyz")]


def test_missing_dependency_names_the_extra():
    register_plugin(NeedsMissing(), name="needs-missing")
    try:
        with pytest.raises(pe.BackendUnavailableError) as err:
            get_backend("needs_missing", pe.settings.snapshot())
        assert isinstance(err.value, ImportError)
        assert "module_that_is_not_installed_xyz" in str(err.value)
        assert "pip install 'podpac-exec[xyz]'" in str(err.value)
    finally:
        unregister_plugin("needs-missing")


def test_aws_backend_declares_its_extra():
    spec = get_backend_specs()["aws_lambda"]
    assert spec.extra == "aws" and "boto3" in spec.requires
    assert importlib.util.find_spec("boto3") is not None


def test_instances_are_reused_per_settings():
    snap = pe.settings.snapshot()
    a = get_backend("local", snap)
    assert isinstance(a, LocalBackend) and a is get_backend("local", pe.settings.snapshot())
    other = pe.settings.snapshot({"local__max_workers": 3})
    assert get_backend("local", other) is not a
    assert get_backend("local", other).limits().concurrency == 3


@pytest.mark.parametrize("workers, helper", [(1, False), (2, True)])
def test_one_local_worker_keeps_evaluation_on_one_thread(workers, helper):
    from podpac_exec.nodes import parallel
    from podpac_exec.nodes.utility import Arange

    seen = []

    class Spy(Arange):
        def _eval(self, coordinates):
            seen.append(parallel._ALLOWED.get())
            return super()._eval(coordinates)

    coords = pe.Coordinates([pe.clinspace(0, 1, 4, "lat")])
    pe.evaluate(Spy(), coords, backend="local", local__max_workers=workers)
    assert seen == [helper]


def test_a_snapshot_keeps_its_backend_until_a_plugin_changes():
    snap = pe.settings.snapshot()
    backend = get_backend("local", snap)
    assert get_backend("local", snap) is backend
    register_plugin(NeedsMissing(), name="needs-missing")
    try:
        with pytest.raises(pe.BackendUnavailableError):
            get_backend("needs_missing", snap)  # a new generation: looked up again
    finally:
        unregister_plugin("needs-missing")
    with pytest.raises(pe.UnknownBackendError):
        get_backend("needs_missing", snap)


def test_tiles_of_a_plan_leave_the_helper_thread_alone():
    """Parallel tiles already keep the cores busy: a tile splitting its arrays onto the helper too
    would put three threads on two cores."""
    from podpac_exec.nodes import parallel
    from podpac_exec.nodes.utility import SinCoords

    seen = []

    class Spy(SinCoords):
        def _eval(self, coordinates):
            seen.append(parallel._ALLOWED.get())
            return super()._eval(coordinates)

    coords = pe.Coordinates([pe.clinspace(0, 1, 64, "lat"), pe.clinspace(0, 1, 64, "lon")])
    pe.evaluate(Spy(), coords, backend="local", local__max_workers=2, max_tile_bytes=64 * 64 * 8 // 4)
    assert len(seen) == 4 and not any(seen)
