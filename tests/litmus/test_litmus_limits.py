"""`dmabuf-lab litmus`: special files, deep nesting and runs that check nothing."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from dmabuf_lab import cli
from dmabuf_lab.litmus import scenario as scenario_mod
from dmabuf_lab.litmus.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "litmus" / "rfc-v1-kvm-vfio.toml"


def _error(capsys, argv) -> str:
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err


def test_dev_zero_is_refused_before_it_is_read(capsys):
    err = _error(capsys, ["litmus", "/dev/zero"])
    assert "/dev/zero" in err and "not a regular file" in err


def test_a_fifo_is_refused_without_blocking(tmp_path, capsys):
    fifo = tmp_path / "s.toml"
    os.mkfifo(fifo)
    err = _error(capsys, ["litmus", str(fifo)])
    assert str(fifo) in err and "not a regular file" in err


def test_a_huge_file_is_refused(tmp_path, monkeypatch):
    big = tmp_path / "big.toml"
    big.write_text(SCENARIO.read_text() + "# padding\n" * 100)
    monkeypatch.setattr(scenario_mod, "MAX_SCENARIO_BYTES", 256)
    with pytest.raises(ScenarioError, match="more than the 256 a file of this kind may have"):
        load_scenario(big)


@pytest.mark.parametrize("opening, closing", [("[", "]"), ("{b=", "}")])
def test_deep_nesting_is_one_line_error(tmp_path, capsys, opening, closing):
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + opening * 5000 + closing * 5000 + "\n")
    err = _error(capsys, ["litmus", str(deep)])
    assert str(deep) in err and "nested too deeply" in err


def test_a_revision_the_file_does_not_check_is_not_all_agree(capsys):
    err = _error(capsys, ["litmus", "--revision", "rfc-v2", str(SCENARIO)])
    assert "nothing checked" in err and "'rfc-v2'" in err and "field '--revision'" in err


def test_fault_sweep_that_runs_nothing_says_so(capsys):
    err = _error(capsys, ["litmus", "--faults", "--revision", "rfc-v2", str(SCENARIO)])
    assert "nothing checked" in err


def test_the_selected_revision_still_checks(capsys):
    assert cli.main(["litmus", "--revision", "rfc-v1", str(SCENARIO)]) == 0
    assert "all 1 checks over 1 scenario(s) agree" in capsys.readouterr().out


def test_an_empty_path_is_an_error_not_the_working_directory(capsys):
    err = _error(capsys, ["litmus", ""])
    assert "empty path" in err
