"""Bad input on the command line: one message naming what is wrong, exit status 2, no traceback."""
from __future__ import annotations

from pathlib import Path

import pytest

from dmabuf_lab.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "litmus" / "rfc-v1-kvm-vfio.toml"
BUFINFO = ROOT / "data" / "captures" / "bufinfo-asahi-m1-drm.txt"


def _error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    return err


def test_from_lspci_missing_file_is_not_read_as_text(tmp_path, capsys):
    missing = tmp_path / "no-such-lspci.txt"
    err = _error(capsys, ["topology", "--from-lspci", str(missing)])
    assert str(missing) in err and "--from-lspci" in err and "no such file" in err
    assert "no PCI device found" not in err


def test_bufinfo_dump_is_not_a_topology(tmp_path, capsys):
    err = _error(capsys, ["topology", str(BUFINFO)])
    assert str(BUFINFO) in err and "bufinfo" in err and "sysfs snapshot" in err
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO.read_text().replace('topology = "xe-sriov-8vf"', f'topology = "{BUFINFO}"'))
    err = _error(capsys, ["litmus", str(scenario)])
    assert "s.toml:3" in err and "field 'topology'" in err and "bufinfo" in err


def test_scenario_that_is_not_utf8_names_file_and_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b'question = "x"\nsource = "\xff"\n')
    err = _error(capsys, ["litmus", str(bad)])
    assert f"{bad}:2" in err and "UTF-8" in err


def test_scenario_directory_without_scenarios(tmp_path, capsys):
    err = _error(capsys, ["litmus", str(tmp_path)])
    assert str(tmp_path) in err and "*.toml" in err


def test_unknown_revision_variant(capsys):
    err = _error(capsys, ["litmus", "--revision", "rfc-v1:no-such-variant", str(SCENARIO)])
    assert "--revision" in err and "no-such-variant" in err and "posted" in err


def test_revision_posted_spelled_out_selects_the_bare_target(capsys):
    assert main(["litmus", "--revision", "rfc-v1:posted", str(SCENARIO)]) == 0
    out = capsys.readouterr().out
    assert "all 1 checks over 1 scenario(s) agree" in out


@pytest.mark.parametrize("argv, field", [
    (["run", "--out", "/proc/no-such-dir/build", "00"], "--out"),
    (["run", "--jobs", "0", "00"], "--jobs"),
    (["run", "--cell-timeout", "0", "00"], "--cell-timeout"),
])
def test_run_rejects_bad_options_before_running(argv, field, capsys):
    err = _error(capsys, argv + ["--no-checks", "--no-site"])
    assert f"field '{field}'" in err


def test_params_swallowing_a_notebook_name_says_so(capsys):
    err = _error(capsys, ["run", "--params", "small=True", "00"])
    assert "'00'" in err and "name notebooks before --params" in err


def test_export_list_of_an_empty_build(tmp_path, capsys):
    err = _error(capsys, ["export", "--build", str(tmp_path), "--list"])
    assert str(tmp_path / "figures") in err and "dmabuf-lab run" in err


def test_export_to_an_unwritable_path_leaves_no_temporary(tmp_path, capsys):
    build = tmp_path / "build"
    (build / "figures" / "00_tour").mkdir(parents=True)
    (build / "figures" / "00_tour" / "timeline.txt").write_text("chart\n")
    target = tmp_path / "a-directory"
    target.mkdir()
    err = _error(capsys, ["export", "--build", str(build), "00_tour/timeline", "-o", str(target)])
    assert "--output" in err and str(target) in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-directory", "build"]
