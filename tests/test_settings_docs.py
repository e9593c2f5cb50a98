"""docs/settings.md documents every setting: its type, default, range and environment name."""

from __future__ import annotations


from podpac_exec.settings import settings
from podpac_exec.settings_doc import DOC, table_of
from podpac_exec.settings_schema import markdown_table



def test_every_setting_is_documented_with_its_current_spec():
    table = table_of(DOC.read_text())
    specs = settings.specs()
    for key in specs:
        assert f"| `{key}` |" in table, f"{key} is missing from docs/settings.md (python -m podpac_exec.settings_doc)"
    assert table.strip() == markdown_table(specs).strip(), "docs/settings.md is stale: python -m podpac_exec.settings_doc"


def test_every_setting_has_a_description():
    missing = sorted(key for key, spec in settings.specs().items() if not spec.doc)
    assert not missing, f"settings without a description: {missing}"
