"""A scenario's ``topology`` may be a preset or a snapshot path relative to the scenario file."""
from __future__ import annotations

import shutil

import pytest

from dmabuf_lab.hw import PRESETS
from dmabuf_lab.litmus.scenario import ScenarioError, default_litmus_dir, find_scenarios, load_scenario

SHIPPED = default_litmus_dir()
CAPTURE = SHIPPED.parent / "data" / "captures" / "lspci-intel-adl-igpu-sriov-quoted.txt"
SCENARIO = SHIPPED / "p2p-unreachable-host-bridge.toml"


def test_a_shipped_scenario_uses_a_capture_path():
    refs = [load_scenario(p).topology_ref for p in find_scenarios([SHIPPED])]
    assert any(r not in PRESETS for r in refs)


def test_relative_snapshot_path_resolves_against_the_scenario_file(tmp_path, monkeypatch):
    scen_dir = tmp_path / "deep" / "litmus"
    scen_dir.mkdir(parents=True)
    shutil.copy(CAPTURE, tmp_path / "deep" / "laptop.txt")
    text = SCENARIO.read_text()
    old = 'topology = "../data/captures/lspci-intel-adl-igpu-sriov-quoted.txt"'
    assert old in text
    (scen_dir / "s.toml").write_text(text.replace(old, 'topology = "../laptop.txt"'))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)          # nothing is resolved against the working directory
    s = load_scenario(scen_dir / "s.toml")
    # the capture's iGPU and the importer device named in the file are there
    assert s.topology.device("0000:00:02.0") is not None
    assert s.fresh_topology().device("0000:00:04.0") is not None


def test_shipped_capture_scenario_loads_from_any_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = load_scenario(SCENARIO)
    assert s.topology.device("0000:00:02.0") is not None


@pytest.mark.parametrize("ref,words", [
    ("../no-such-capture.txt", "not found"),
    ("captures/missing/lspci.txt", "not found"),
    ("xe-sriov-9vf", "cannot load topology"),          # not a path: an unknown preset
])
def test_bad_topology_reference_names_file_line_and_key(tmp_path, ref, words):
    text = SCENARIO.read_text().replace(
        'topology = "../data/captures/lspci-intel-adl-igpu-sriov-quoted.txt"', f'topology = "{ref}"')
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(ScenarioError) as ei:
        load_scenario(p)
    err = ei.value
    assert err.field == "topology" and err.line == 3
    assert str(p) in str(err) and words in str(err)
    if "preset" in words or words == "cannot load topology":
        assert "xe-sriov-8vf" in str(err)       # the known presets are listed


def test_unparsable_snapshot_is_a_scenario_error(tmp_path):
    (tmp_path / "garbage.txt").write_bytes(b"\x00\x01 not lspci output\n")
    text = SCENARIO.read_text().replace(
        'topology = "../data/captures/lspci-intel-adl-igpu-sriov-quoted.txt"', 'topology = "garbage.txt"')
    p = tmp_path / "g.toml"
    p.write_text(text)
    with pytest.raises(ScenarioError) as ei:
        load_scenario(p)
    assert ei.value.field == "topology" and str(p) in str(ei.value)


def test_snapshot_path_is_kept_absolute_for_later_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(SHIPPED.parent)
    s = load_scenario("litmus/p2p-unreachable-host-bridge.toml")    # a relative scenario path
    monkeypatch.chdir(tmp_path)                                      # e.g. a notebook changing directory
    assert s.fresh_topology().device("0000:00:02.0") is not None
