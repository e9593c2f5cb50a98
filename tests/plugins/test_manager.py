"""Plugin loading: built-ins, entry points (a fake installed distribution), failures, autoload off."""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.plugins.backends import get_backend_specs
from podpac_exec.plugins.manager import BUILTIN_PLUGINS, get_plugin_manager, reset_plugin_manager

THIRD_PARTY = '''
import numpy as np
from podpac_exec.plugins.backends import Backend, BackendLimits, BackendSpec
from podpac_exec.plugins.manager import hookimpl


class ConstantBackend(Backend):
    """Answers every tile with the node's values plus 1000, to show it was used."""

    name = "plus1000"

    def limits(self):
        return BackendLimits(max_result_bytes=2**30, concurrency=1)

    def evaluate(self, node, coordinates, options):
        return node.eval(coordinates) + 1000


@hookimpl
def podpac_exec_register_backends():
    return [BackendSpec(name="plus1000", backend_class=ConstantBackend, description="test backend",
                        settings={"offset": 1000})]

'''


def install_fake_distribution(tmp_path, module_name: str, source: str, entry_name: str) -> None:
    """A module plus a ``*.dist-info`` declaring it under ``podpac_exec.backends``, on sys.path."""
    (tmp_path / f"{module_name}.py").write_text(textwrap.dedent(source))
    info = tmp_path / f"{module_name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module_name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[podpac_exec.backends]\n{entry_name} = {module_name}\n")


@pytest.fixture
def fresh_plugins(monkeypatch):
    reset_plugin_manager()
    yield
    reset_plugin_manager()


def test_builtins_are_registered_like_plugins(fresh_plugins):
    pm = get_plugin_manager()
    for name in BUILTIN_PLUGINS:
        assert pm.get_plugin(name) is not None
    specs = get_backend_specs()
    assert {"local", "aws_lambda"} <= set(specs)
    # the bundled backends come in through their entry points, exactly once
    assert specs["local"].provider == "local" and specs["aws_lambda"].provider == "aws_lambda"
    assert not set(BUILTIN_PLUGINS) & {"podpac_exec.backends.local.plugin", "podpac_exec.backends.aws_lambda.plugin"}
    modules = [plugin for plugin in pm.get_plugins()]
    assert len(modules) == len(set(map(id, modules)))


def test_the_core_answers_the_evaluate_hook_last(fresh_plugins):
    impls = get_plugin_manager().hook.podpac_exec_evaluate_node.get_hookimpls()
    answering = [impl for impl in impls if not impl.hookwrapper and not impl.wrapper]
    assert [impl.plugin_name for impl in answering] == ["podpac_exec.engine.dispatch"]
    assert answering[0].trylast


def test_a_misspelled_hook_is_an_error_naming_the_plugin(tmp_path, monkeypatch, fresh_plugins):
    typo = THIRD_PARTY + "\n\n@hookimpl\ndef podpac_exec_evalute_node(node, coordinates, backend, options):\n    return None\n"
    install_fake_distribution(tmp_path, "podpac_exec_typo", typo, "typo")
    monkeypatch.syspath_prepend(str(tmp_path))
    for _ in range(2):  # no half-built manager is left behind: the second use fails the same way
        with pytest.raises(pe.PluginError, match="typo.*podpac_exec_evalute_node"):
            get_plugin_manager()
    sys.modules.pop("podpac_exec_typo", None)


def test_register_plugin_rolls_back_an_invalid_plugin(fresh_plugins):
    from podpac_exec.plugins.backends import BackendSpec
    from podpac_exec.plugins.manager import hookimpl, register_plugin

    class Duplicate:
        @hookimpl
        def podpac_exec_register_backends(self):
            return [BackendSpec(name="local", backend_class="x:Y")]

    with pytest.raises(pe.PluginError, match="'local' is registered twice"):
        register_plugin(Duplicate(), name="duplicate")
    assert get_plugin_manager().get_plugin("duplicate") is None
    assert get_backend_specs()["local"].provider == "local"


def test_third_party_backend_through_entry_point(tmp_path, monkeypatch, fresh_plugins):
    install_fake_distribution(tmp_path, "podpac_exec_plus1000", THIRD_PARTY, "plus1000")
    monkeypatch.syspath_prepend(str(tmp_path))
    specs = get_backend_specs()
    assert specs["plus1000"].provider == "plus1000"
    assert pe.settings.get("plus1000.offset") == 1000
    coords = pe.Coordinates([pe.clinspace(0, 1, 3, "lat"), pe.clinspace(0, 1, 4, "lon")])
    node = pe.nodes.Arange()
    out = pe.evaluate(node, coords, backend="plus1000")
    np.testing.assert_array_equal(out.values, pe.evaluate(node, coords).values + 1000)
    sys.modules.pop("podpac_exec_plus1000", None)


def test_autoload_can_be_disabled(tmp_path, monkeypatch, fresh_plugins):
    install_fake_distribution(tmp_path, "podpac_exec_plus1000b", THIRD_PARTY, "plus1000")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PODPAC_EXEC_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert "plus1000" not in get_backend_specs()
    assert "local" in get_backend_specs()  # built-ins still load
    sys.modules.pop("podpac_exec_plus1000b", None)


def test_broken_plugin_is_a_warning_naming_it(tmp_path, monkeypatch, fresh_plugins):
    install_fake_distribution(tmp_path, "podpac_exec_broken", "raise RuntimeError('boom')\n", "broken")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.warns(RuntimeWarning, match="'broken'"):
        get_plugin_manager()
    assert "local" in get_backend_specs()


def test_duplicate_backend_names_are_rejected_naming_both(tmp_path, monkeypatch, fresh_plugins):
    dup = THIRD_PARTY.replace('name="plus1000"', 'name="local"')
    install_fake_distribution(tmp_path, "podpac_exec_dup", dup, "dup")
    monkeypatch.syspath_prepend(str(tmp_path))
    for _ in range(2):  # the manager is rejected whole, every time, never published half-built
        with pytest.raises(pe.PluginError, match="'local'.*by 'local' and by 'dup'"):
            get_backend_specs()


def test_an_uninstalled_plugins_settings_go_with_it(tmp_path, monkeypatch, fresh_plugins):
    install_fake_distribution(tmp_path, "podpac_exec_plus1000c", THIRD_PARTY, "plus1000")
    with monkeypatch.context() as installed:
        installed.syspath_prepend(str(tmp_path))
        assert "plus1000.offset" in pe.settings.specs()
    sys.modules.pop("podpac_exec_plus1000c", None)
    reset_plugin_manager()
    assert "plus1000.offset" not in pe.settings.specs()
    assert "local.max_workers" in pe.settings.specs()
