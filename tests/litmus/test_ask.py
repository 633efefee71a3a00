"""`dmabuf-lab ask`: one scenario under every revision, with no expectations given.

The verdicts `ask` prints are compared with the ones the scenario files
state under [expect] (written from the facts, not from the models), so
`ask` is checked against an oracle it never reads.
"""
from __future__ import annotations

import json
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import pytest

from dmabuf_lab import cli
from dmabuf_lab.litmus.ask import targets
from dmabuf_lab.litmus.scenario import ScenarioError, find_scenarios, load_scenario
from dmabuf_lab.revisions import ALIASES, REVISIONS, split_target

RDMA_OVER_VFIO = ["ask", "--topology", "gpu-nic-same-switch", "--exporter", "vfio-pci", "--importer", "rdma"]


def _answers(capsys, argv) -> dict:
    assert cli.main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_rdma_over_vfio_is_answered_under_every_revision_the_registry_holds(capsys):
    data = _answers(capsys, RDMA_OVER_VFIO)
    asked = [a["target"] for a in data["answers"]]
    assert {split_target(t)[0] for t in asked} == set(REVISIONS)
    for a in data["answers"]:
        assert f"-> {a['outcome']}" in a["path"]
        assert isinstance(a["findings"], list)
    assert any("importer device 0000:04:00.0" in c for c in data["chosen"])   # the NIC, not a bridge


def test_text_form_names_verdict_finding_ids_and_path(capsys):
    assert cli.main([*RDMA_OVER_VFIO, "--revision", "mainline"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith(ALIASES["mainline"] + " "))
    assert "sgt-p2p" in row and "sgt-orig-nents-leak" in row
    assert "attach > map > unmap > detach" in " ".join(out.split())
    assert max(len(line) for line in out.splitlines()) <= 100


def test_every_finding_id_ask_prints_is_one_the_findings_command_takes(capsys):
    from dmabuf_lab.findings.match import known_ids

    data = _answers(capsys, RDMA_OVER_VFIO)
    ids = {x for a in data["answers"] for x in a["finding_ids"] if x in known_ids()}
    assert "sgt-orig-nents-leak" in ids
    for fid in sorted(ids):
        assert cli.main(["findings", "--format", "email", fid]) == 0, fid
        capsys.readouterr()
    # a report that no registered finding matches keeps its kind
    for a in data["answers"]:
        assert len(a["finding_ids"]) <= len(a["findings"])


def test_an_errno_is_traced_to_the_function_that_returned_it_and_its_kconfig(capsys):
    data = _answers(capsys, [*RDMA_OVER_VFIO, "--revision", "mainline-6.19"])
    posted = data["answers"][0]
    assert posted["outcome"] == "-EOPNOTSUPP"
    why = posted["why"]
    # the pin the map asked for is what refused, and the map pinned because of the Kconfig default
    assert "vfio_pci_dma_buf_pin() returns -EOPNOTSUPP" in why and "dma_buf_pin_on_map() true" in why
    assert "61ceaf236115" in why
    assert any(n.startswith("CONFIG_DMABUF_MOVE_NOTIFY=y: sgt-p2p") for n in posted["config"])
    assert cli.main([*RDMA_OVER_VFIO, "--revision", "mainline-6.19"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "vfio_pci_dma_buf_pin() returns -EOPNOTSUPP always (61ceaf236115)" in text
    assert "if CONFIG_DMABUF_MOVE_NOTIFY=y: sgt-p2p" in text


def test_repeated_path_is_printed_once(capsys):
    assert cli.main(RDMA_OVER_VFIO) == 0
    out = capsys.readouterr().out
    assert out.count("exported 1 range(s) of 0000:03:00.0 BAR 2)") == 1


def test_verbose_prints_the_kernel_call_path_without_topology_construction(capsys):
    assert cli.main([*RDMA_OVER_VFIO, "--revision", "mainline", "-v"]) == 0
    verbose = capsys.readouterr().out
    assert "dma_buf_map_attachment" in verbose and "dma_buf_phys_vec_to_sgt" in verbose
    assert "step attach" not in verbose
    assert "virtfn_add" not in verbose and "parse_bdf" not in verbose
    assert "call chain:" in verbose and "[sgt-orig-nents-leak]" in verbose
    assert max(len(line) for line in verbose.splitlines()) <= 100
    assert cli.main([*RDMA_OVER_VFIO, "--revision", "mainline", "-vv"]) == 0
    assert "parse_bdf" in capsys.readouterr().out


@pytest.mark.parametrize("path", [p for p in find_scenarios() if "expect" in tomllib.loads(p.read_text())][:12],
                         ids=lambda p: p.stem)
def test_ask_gives_the_verdicts_the_scenario_files_state(path, capsys):
    expected = load_scenario(path).expect
    data = _answers(capsys, ["ask", str(path), "--all-variants"])
    got = {a["target"]: a["outcome"] for a in data["answers"]}
    for target, outcome in expected.items():
        assert got[target] == outcome, (path.name, target)


def test_scenario_without_expect_is_asked_but_not_checked(tmp_path, capsys):
    scen = tmp_path / "what-if.toml"
    scen.write_text('question = "what if"\ntopology = "gpu-nic-same-switch"\n'
                    '[exporter]\ndriver = "xe"\ndevice = "0000:03:00.0"\n'
                    '[importer]\ndriver = "rdma"\ndevice = "0000:04:00.0"\n')
    with pytest.raises(ScenarioError, match="checks nothing"):
        load_scenario(scen)
    data = _answers(capsys, ["ask", str(scen), "--revision", "mainline"])
    assert [a["target"] for a in data["answers"]][:1] == [ALIASES["mainline"]]


def test_importer_on_a_switch_port_is_refused_naming_the_device(tmp_path, capsys):
    rc = cli.main([*RDMA_OVER_VFIO, "--importer-device", "0000:02:01.0"])
    err = capsys.readouterr().err
    assert rc == 2 and "0000:02:01.0" in err and "downstream port" in err and "portdrv" in err
    scen = tmp_path / "switch.toml"
    scen.write_text('question = "q"\ntopology = "gpu-nic-same-switch"\n'
                    '[exporter]\ndriver = "vfio-pci"\ndevice = "0000:03:00.0"\nbar = 2\nranges = [[0, 0x200000]]\n'
                    '[importer]\ndriver = "rdma"\ndevice = "0000:02:01.0"\n[expect]\nmainline = "sgt-p2p"\n')
    with pytest.raises(ScenarioError, match=r"0000:02:01\.0.*downstream port") as info:
        load_scenario(scen)
    assert info.value.field == "importer.device" and info.value.line == 10


def test_driver_on_a_device_it_does_not_bind_is_refused_unless_a_construction():
    base = ('question = "q"\ntopology = "gpu-nic-same-switch"\n{extra}'
            '[exporter]\ndriver = "vfio-pci"\ndevice = "0000:04:00.2"\nbar = 0\nranges = [[0, 0x1000]]\n'
            '[importer]\ndriver = "rdma"\ndevice = "0000:03:00.0"\n[expect]\nmainline = "sgt-p2p"\n')
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "s.toml"
        p.write_text(base.format(extra=""))
        with pytest.raises(ScenarioError, match=r"'rdma' does not bind 0000:03:00\.0.*network"):
            load_scenario(p)
        p.write_text(base.format(extra='construction = "RDMA placed on the GPU to reach a path"\n'))
        assert load_scenario(p).construction.startswith("RDMA placed")
        p.write_text(base.format(extra='construction = ""\n'))
        with pytest.raises(ScenarioError, match="construction"):
            load_scenario(p)


def test_every_repository_scenario_that_places_a_driver_unusually_says_why():
    from dmabuf_lab.litmus.placement import placement_problem

    for path in find_scenarios():
        sc = load_scenario(path)
        topo = sc.topology
        for role, spec in (("exporter", sc.exporter), ("importer", sc.importer)):
            dev = topo.devices.get(spec.device) if spec.device else None
            if placement_problem(spec.driver, role, dev):
                assert sc.construction, path.name


def test_targets_follow_the_registry(monkeypatch):
    import dmabuf_lab.revisions as revs

    extra = dict(revs.REVISIONS, **{"not-yet-written": "no_such_module"})
    monkeypatch.setattr(revs, "REVISIONS", extra)
    assert targets(None, False)[-1] == "not-yet-written"


@pytest.mark.parametrize("path", find_scenarios()[:20], ids=lambda p: p.stem)
def test_text_form_of_shipped_scenarios_fits_100_columns(path, capsys):
    assert cli.main(["ask", str(path), "--revision", "mainline-6.19", "--revision", "mapping-types-2026-02"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 100


def test_a_crash_that_is_a_registered_finding_is_named_by_its_id(capsys):
    data = _answers(capsys, ["ask", "litmus/bug-dynamic-attach-null-ops.toml", "--revision",
                             "mapping-types-2026-02"])
    posted = data["answers"][0]
    assert posted["outcome"] == "crash" and "mt-dynamic-attach-null-ops" in posted["finding_ids"]
    fixed = data["answers"][1]
    assert fixed["outcome"] != "crash" and "mt-dynamic-attach-null-ops" not in fixed["finding_ids"]
