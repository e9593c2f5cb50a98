"""The PODPAC 4.0.5 node class coverage report: every class has a status and a reason, the
status tables name only real PODPAC classes, and docs/podpac-compatibility.md carries the table."""

from __future__ import annotations

from podpac_exec.cli.main import main
from podpac_exec.nodes.registry import get_node_registry
from podpac_exec.pipelines import coverage as cov
from podpac_exec.pipelines.classes import podpac_classes

STATUSES = {cov.HAS, cov.PLANNED_STATUS, cov.NOT_PLANNED_STATUS}


def test_every_podpac_class_has_a_status_and_a_reason():
    rows = cov.coverage()
    assert [r.cls.path for r in rows] == [c.path for c in podpac_classes().classes]
    for row in rows:
        assert row.status in STATUSES, f"{row.cls.path}: add it to podpac_exec/pipelines/coverage.py"
        assert (row.status == cov.HAS) != bool(row.reason), row


def test_registered_podpac_nodes_are_reported_as_had():
    had = {r.cls.path for r in cov.coverage() if r.status == cov.HAS}
    for record in get_node_registry().records:
        cls = podpac_classes().by_name(record.name)
        if cls is not None:
            assert cls.path in had


def test_status_tables_name_real_classes_not_yet_had():
    names = {c.name for c in podpac_classes().classes}
    had = {r.cls.name for r in cov.coverage() if r.status == cov.HAS}
    for table in (cov.PLANNED, cov.NOT_PLANNED):
        assert set(table) <= names
        flipped = set(table) & had
        assert not flipped, f"{sorted(flipped)} are registered now: drop them from coverage.py and rerun it"


def test_docs_carry_the_current_table():
    text = cov.DOC.read_text()
    assert cov.BEGIN in text, "docs/podpac-compatibility.md has no coverage table: python -m podpac_exec.pipelines.coverage"
    table = text.split(cov.BEGIN, 1)[1].split(cov.END, 1)[0]
    assert table == cov.markdown_table(cov.coverage()), "stale: python -m podpac_exec.pipelines.coverage"


def test_nodes_podpac_lists_every_class(capsys):
    assert main(["nodes", "--podpac"]) == 0
    out = capsys.readouterr().out
    for row in cov.coverage():
        line = next(line for line in out.splitlines() if line.startswith(row.cls.path + " "))
        assert row.status in line
    assert f"{len(podpac_classes().classes)} PODPAC classes" in out
