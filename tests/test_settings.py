"""Settings layers, type conversion, overrides and errors."""

from __future__ import annotations

import threading

import pytest

from podpac_exec.errors import SettingsError
from podpac_exec.settings import settings


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_defaults():
    snap = settings.snapshot()
    assert snap["backend"] == "local"
    assert snap.origin("backend").layer == "default"
    assert snap["aws_lambda.runtime"] == "python3.12"  # a backend's section is registered by its plugin


def test_layers_in_order(monkeypatch):
    write(settings.user_file, 'backend = "user"\n[tiling]\nmax_tile_bytes = 100\n[limits]\nmax_nodes = 7\n')
    write(settings.project_file, 'backend = "project"\n[tiling]\nmax_tile_bytes = 200\n')
    snap = settings.snapshot()
    assert (snap["backend"], snap.origin("backend").layer) == ("project", "project file")
    assert snap["tiling.max_tile_bytes"] == 200
    assert (snap["limits.max_nodes"], snap.origin("limits.max_nodes").layer) == (7, "user file")

    monkeypatch.setenv("PODPAC_EXEC_BACKEND", "env")
    monkeypatch.setenv("PODPAC_EXEC_TILING__MAX_TILE_BYTES", "300")
    monkeypatch.setenv("PODPAC_EXEC_AWS_LAMBDA__FUNCTION_NAME", "fn-from-env")
    snap = settings.snapshot()
    assert snap["backend"] == "env" and snap["tiling.max_tile_bytes"] == 300
    assert snap["aws_lambda.function_name"] == "fn-from-env"

    with settings.override(backend="override", tiling={"max_tile_bytes": 400}):
        snap = settings.snapshot()
        assert snap["backend"] == "override" and snap["tiling.max_tile_bytes"] == 400
        snap = settings.snapshot({"tiling__max_tile_bytes": 500})
        assert (snap["tiling.max_tile_bytes"], snap.origin("tiling.max_tile_bytes").layer) == (500, "argument")
    assert settings.get("backend") == "env"


def test_overrides_nest_and_are_per_thread():
    seen = {}
    with settings.override(backend="outer"):
        with settings.override(backend="inner"):
            assert settings.get("backend") == "inner"
            t = threading.Thread(target=lambda: seen.setdefault("other", settings.get("backend")))
            t.start()
            t.join()
        assert settings.get("backend") == "outer"
    assert seen["other"] == "local"


@pytest.mark.parametrize(
    "env, value, expected",
    [
        ("PODPAC_EXEC_LIMITS__MAX_NODES", "12", 12),
        ("PODPAC_EXEC_RETRY__BASE_DELAY_S", "0.5", 0.5),
        ("PODPAC_EXEC_AWS_LAMBDA__ALLOWED_PIPELINE_HASHES", "a, b", ["a", "b"]),
    ],
)
def test_environment_values_are_converted(monkeypatch, env, value, expected):
    monkeypatch.setenv(env, value)
    key = env[len("PODPAC_EXEC_") :].lower().replace("__", ".")
    assert settings.get(key) == expected


def test_bad_values_name_the_setting(monkeypatch):
    monkeypatch.setenv("PODPAC_EXEC_LIMITS__MAX_NODES", "many")
    with pytest.raises(SettingsError) as err:
        settings.snapshot()
    assert err.value.field == "limits.max_nodes" and "int" in str(err.value)


def test_unknown_keys_are_rejected(monkeypatch):
    with pytest.raises(SettingsError, match="tiling.max_tile_byte"):
        with settings.override(tiling__max_tile_byte=1):
            pass
    monkeypatch.setenv("PODPAC_EXEC_NOPE", "1")
    with pytest.raises(SettingsError, match="'nope'"):
        settings.snapshot()


def test_invalid_toml_names_the_file():
    write(settings.project_file, "backend = \n")
    with pytest.raises(SettingsError, match="podpac_exec.toml"):
        settings.snapshot()


def test_secret_like_keys_are_masked_in_public_view():
    snap = settings.snapshot()
    assert all(not rec.is_secret for rec in snap.records() if rec.key in snap.public())
    assert "aws_lambda.function_name" in snap.public()


# -- types and ranges, in every layer (issue 12.3) -------------------------------------------------


@pytest.mark.parametrize(
    "key, value, fragment",
    [
        ("tiling.max_tile_bytes", -1, "must be >= 8"),
        ("tiling.max_tile_bytes", 0, "must be >= 8"),
        ("limits.max_cells", -5, "must be >= 1"),
        ("retry.max_attempts", 0, "must be >= 1"),
        ("local.max_workers", -3, "must be >= 0"),
        ("tiling.progress", "maybe", "must be one of auto, on, off"),
        ("aws_lambda.memory_mb", 64, "must be >= 128"),
        ("aws_lambda.architecture", "sparc", "must be one of x86_64, arm64"),
    ],
)
def test_out_of_range_values_are_refused_in_every_layer(key, value, fragment, monkeypatch):
    section, name = key.split(".")
    checks = {
        "argument": lambda: settings.snapshot({key: value}),
        "override": lambda: settings.override(**{f"{section}__{name}": value}).__enter__(),
    }
    for layer, attempt in checks.items():
        with pytest.raises(SettingsError, match=f"{key}.*from {layer}.*{fragment}") as err:
            attempt()
        assert err.value.field == key and "\n" not in str(err.value)
    monkeypatch.setenv(f"PODPAC_EXEC_{section.upper()}__{name.upper()}", str(value))
    with pytest.raises(SettingsError, match=f"from environment PODPAC_EXEC_{section.upper()}__{name.upper()}.*{fragment}"):
        settings.snapshot()
    monkeypatch.delenv(f"PODPAC_EXEC_{section.upper()}__{name.upper()}")
    write(settings.project_file, f"[{section}]\n{name} = {value!r}\n".replace("'", '"'))
    with pytest.raises(SettingsError, match=f"from project file .*{fragment}"):
        settings.snapshot()


def test_in_range_values_and_aliases_are_accepted():
    snap = settings.snapshot({"tiling.progress": "TRUE", "tiling.max_tile_bytes": "4096", "retry.base_delay_s": 0})
    assert snap["tiling.progress"] == "on" and snap["tiling.max_tile_bytes"] == 4096 and snap["retry.base_delay_s"] == 0.0


def count_resolutions(monkeypatch) -> list[int]:
    """Every full resolution of the layers reads the environment once: count those reads."""
    import importlib

    module = importlib.import_module("podpac_exec.settings")  # the package's `settings` is the object

    reads: list[int] = []
    read = module._read_environment
    monkeypatch.setattr(module, "_read_environment", lambda: reads.append(1) or read())
    return reads


def test_use_answers_from_the_calls_settings_without_resolving_again(monkeypatch):
    monkeypatch.setenv("PODPAC_EXEC_LIMITS__MAX_NODES", "7")
    effective = settings.snapshot({"limits.max_depth": 9})
    reads = count_resolutions(monkeypatch)
    monkeypatch.setenv("PODPAC_EXEC_LIMITS__MAX_NODES", "8")  # not read again inside the call
    with settings.use(effective):
        assert settings.snapshot() is effective and settings.get("limits.max_depth") == 9
        assert settings.get("limits.max_nodes") == 7
        with settings.override(limits={"max_nodes": 3}):  # overrides entered inside still apply
            assert settings.get("limits.max_nodes") == 3
            assert settings.snapshot({"limits.max_depth": 2})["limits.max_depth"] == 2
        assert settings.get("limits.max_nodes") == 7
    assert reads == []
    assert settings.get("limits.max_nodes") == 8  # outside: resolved as before


def test_a_derived_value_is_made_once_per_snapshot():
    made = []
    snap = settings.snapshot()
    assert snap.derived("k", lambda: made.append(1) or "v") == "v"
    assert snap.derived("k", lambda: made.append(1) or "w") == "v" and made == [1]
    assert settings.snapshot({"limits.max_depth": 9}).derived("k", lambda: "new") == "new"  # another snapshot, its own


def test_the_same_inputs_give_the_same_snapshot_and_a_changed_one_a_new_one(monkeypatch):
    snap = settings.snapshot({"backend": "local"})
    assert settings.snapshot({"backend": "local"}) is snap  # what it derived (the backend) is reused
    assert settings.snapshot({"backend": "local", "limits.max_depth": 9}) is not snap
    monkeypatch.setenv("PODPAC_EXEC_LIMITS__MAX_NODES", "7")
    assert settings.snapshot({"backend": "local"})["limits.max_nodes"] == 7
    monkeypatch.delenv("PODPAC_EXEC_LIMITS__MAX_NODES")
    assert settings.snapshot({"backend": "local"}) is snap
    write(settings.project_file, "[limits]\nmax_nodes = 5\n")
    assert settings.snapshot({"backend": "local"})["limits.max_nodes"] == 5
    write(settings.project_file, "[limits]\nmax_nodes = 6\n")  # same size, maybe the same mtime
    assert settings.snapshot({"backend": "local"})["limits.max_nodes"] == 6
    settings.project_file.unlink()
    with settings.override(limits={"max_nodes": 3}):
        assert settings.snapshot({"backend": "local"})["limits.max_nodes"] == 3
    assert settings.snapshot({"backend": "local"}) is snap
    schemes = ["file"]
    first = settings.snapshot({"sources.allowed_schemes": schemes})
    schemes.append("s3")  # a mutated argument is a new input
    assert settings.snapshot({"sources.allowed_schemes": schemes})["sources.allowed_schemes"] == ["file", "s3"]
    assert first["sources.allowed_schemes"] == ["file"]
    opaque = object()  # not plain data: never reused
    with pytest.raises(SettingsError):
        settings.snapshot({"backend": opaque})


def test_a_pickled_snapshot_leaves_what_was_derived_behind():
    import pickle

    snap = settings.snapshot()
    snap.derived("lock", threading.Lock)  # not picklable
    clone = pickle.loads(pickle.dumps(snap))
    assert dict(clone) == dict(snap) and clone.derived("lock", lambda: "again") == "again"
