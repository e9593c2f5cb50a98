"""Output paths are checked before any work: extension, existing parent, not a directory."""

from __future__ import annotations

import pytest

from podpac_exec.cli.outputs import OutputError, check_output_path, check_output_paths


def test_a_directory_named_like_a_file_is_refused(tmp_path):
    (tmp_path / "x.nc").mkdir()
    with pytest.raises(OutputError) as info:
        check_output_path(tmp_path / "x.nc")
    assert "is a directory" in str(info.value) and info.value.field == "output"


def test_a_missing_parent_is_named_and_not_created(tmp_path):
    target = tmp_path / "no" / "such" / "out.nc"
    with pytest.raises(OutputError) as info:
        check_output_path(target)
    assert str(tmp_path / "no" / "such") in str(info.value) and "does not exist" in str(info.value)
    assert not (tmp_path / "no").exists()


def test_a_parent_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(OutputError, match="is not a directory"):
        check_output_path(tmp_path / "f" / "out.npy")


def test_zarr_is_a_directory_but_not_a_file(tmp_path):
    (tmp_path / "old.zarr").mkdir()
    assert check_output_path(tmp_path / "old.zarr") == tmp_path / "old.zarr"
    (tmp_path / "file.zarr").write_text("")
    with pytest.raises(OutputError, match="not a zarr store"):
        check_output_path(tmp_path / "file.zarr")


def test_figures_are_checked_with_their_own_field(tmp_path):
    with pytest.raises(OutputError) as info:
        check_output_paths(plot=str(tmp_path / "missing" / "map.png"))
    assert info.value.field == "plot"
    with pytest.raises(OutputError) as info:
        check_output_paths(timeline=str(tmp_path / "t.txt"))
    assert info.value.field == "timeline" and ".png" in str(info.value)
    check_output_paths(output=str(tmp_path / "a.nc"), plot=str(tmp_path / "a.png"), timeline=str(tmp_path / "t.svg"))
