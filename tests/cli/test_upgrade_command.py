"""``podpac-exec upgrade``: an older-format file in the current form, on stdout or in a file."""

from __future__ import annotations

import json
from pathlib import Path

import podpac_exec as pe
from podpac_exec.cli.main import main

LEGACY = Path(__file__).parents[1] / "data" / "pipelines_legacy"


def test_upgrade_prints_the_current_form_and_says_what_changed(capsys):
    assert main(["upgrade", str(LEGACY / "v1_pipeline_arithmetic.json")]) == 0
    out, err = capsys.readouterr()
    assert out == (LEGACY / "v1_pipeline_arithmetic.upgraded.json").read_text()
    assert "PODPAC 1.x pipeline format" in err and err.count("\n") == 1


def test_upgrade_writes_a_file_that_loads_without_warning(tmp_path, capsys, recwarn):
    target = tmp_path / "new.json"
    assert main(["upgrade", str(LEGACY / "v3_datasource_interpolation.json"), "-o", str(target)]) == 0
    assert capsys.readouterr().out == ""
    node = pe.Node.from_json(target.read_text())
    assert type(node).__name__ == "ResampleReduce" and not recwarn.list


def test_upgrade_of_a_current_pipeline_keeps_it(capsys):
    current = pe.nodes.Mean(source=pe.nodes.SinCoords(), dims=["lat"]).json
    assert main(["upgrade", current]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == json.loads(current) and "already" in err


def test_upgrade_refuses_what_cannot_be_upgraded(capsys):
    bad = json.dumps({"a": {"path": "elsewhere.json"}, "b": {"node": "algorithm.Arange"}})
    assert main(["upgrade", bad]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "a.path" in err and err.count("\n") == 1


def test_upgrade_checks_the_result_builds(capsys):
    unknown = json.dumps({"nodes": {"a": {"node": "datalib.smap.SMAP"}}})
    assert main(["upgrade", unknown]) == 2
    assert "unknown node type" in capsys.readouterr().err
    assert main(["upgrade", "--no-check", unknown]) == 0
    assert json.loads(capsys.readouterr().out)["a"] == {"node": "datalib.smap.SMAP"}


def test_evaluate_of_an_old_file_warns_on_one_line(capsys):
    name = "v0_class_paths"
    assert main(["evaluate", str(LEGACY / f"{name}.json"), str(LEGACY / f"{name}.coords.json")]) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "upgraded" in line]
    assert len(lines) == 1 and lines[0].startswith("podpac-exec: warning: pipeline upgraded from PODPAC")
