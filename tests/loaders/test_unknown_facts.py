"""What a capture does not show stays unknown: in the tree, in P2P verdicts, in scenarios.

The facts checked here are read off the capture files by eye (line numbers in
the comments); the P2P rules are those of drivers/pci/p2pdma.c.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from dmabuf_lab.cli import main
from dmabuf_lab.hw.loaders import load_files, load_path
from dmabuf_lab.hw.presets import PRESETS
from dmabuf_lab.pci.p2pdma import (PCI_P2PDMA_MAP_NOT_SUPPORTED, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE,
                                   calc_map_type_and_dist, p2p_verdict)

ROOT = Path(__file__).resolve().parents[2]
CAPTURES = ROOT / "data" / "captures"
DELL = CAPTURES / "lspci-dell-xeon-e5v4-p100x2-x520-vvv.txt"


def test_host_bridge_without_ids_is_unknown_not_unlisted():
    topo = load_path(DELL)
    # line 1: "00:00.0 Host bridge: Intel Corporation Xeon E7 v4/.../Xeon D DMI2 (rev 01)": no id,
    # and Intel has rows on the whitelist, so whether this one is listed cannot be told
    hb = topo.device("0000:00:00.0")
    assert "device" in hb.unknown and hb.vendor == 0x8086
    tree = topo.render_tree()
    line = next(ln for ln in tree.splitlines() if ln.startswith("[0000:00]"))
    assert "P2P whitelist: unknown" in line and "device id of host bridge 0000:00:00.0" in line
    assert "P2P whitelist: no" not in tree and "8086:0000" not in tree


def test_a_verdict_that_turns_on_the_whitelist_says_so():
    topo = load_path(DELL)
    gpu, nic = topo.device("0000:04:00.0"), topo.device("0000:83:00.0")   # socket 0 GPU, socket 1 NIC
    v = p2p_verdict(gpu, nic)
    assert not v.known
    assert (v.map_type, v.map_type_if_allowed) == (PCI_P2PDMA_MAP_NOT_SUPPORTED, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE)
    assert any("whitelist" in d for d in v.depends_on)
    assert v.text().startswith("unknown: depends on the host-bridge P2P whitelist")
    # the kernel path itself still answers (the model must run), and records what it rested on
    topo.unknowns_consulted.clear()
    assert calc_map_type_and_dist(gpu, nic)[0] == PCI_P2PDMA_MAP_NOT_SUPPORTED
    assert topo.unknowns_consulted


def test_no_synthesised_host_bridge_borrows_the_nic_ids():
    topo = load_path(CAPTURES / "lspci-connectx7-1.txt")
    tree = topo.render_tree()
    # the NIC is the only function; its device id is not printed (no -nn)
    assert "[15b3:????]" in tree
    assert "15b3:0000" not in tree and "P2P whitelist: no" not in tree
    assert "[0000:21] host bridge" in tree and "P2P whitelist: unknown" in tree
    assert "CPU forwards P2P: unknown" in tree


def test_ids_printed_with_nn_make_the_whitelist_known():
    topo = load_path(CAPTURES / "lspci-glpi-nvidia-1-vvv-nn.txt")
    tree = topo.render_tree()
    # line 1: "00:00.0 Host bridge [0600]: ... Starship/Matisse Root Complex [1022:1480]": AMD has
    # no row on the whitelist, so the answer is a plain no; an AMD CPU's family is not shown
    line = next(ln for ln in tree.splitlines() if ln.startswith("[0000:00]"))
    assert "P2P whitelist: no (1022:1480)" in line and "CPU forwards P2P: unknown" in line


def test_acs_not_listed_without_root_is_unknown():
    topo = load_path(CAPTURES / "lspci-haswell-e-vvvvv-no-root.txt")
    rp = topo.device("0000:00:01.0")         # "Capabilities: <access denied>"
    assert rp.is_bridge and "acs" in rp.unknown
    assert "ACSCtl: unknown" in topo.render_tree()


def test_presets_know_everything():
    for name, build in PRESETS.items():
        topo = build()
        assert "unknown" not in topo.render_tree(), name
        assert not topo.unknowns_consulted


def test_topology_lspci_with_dmesg(capsys):
    flex = CAPTURES / "lspci-intel-flex-56c0-sriov-quoted.txt"
    log = CAPTURES / "dmesg-intel-flex-56c0-sriov-quoted.txt"
    assert main(["topology", "--from-lspci", str(flex), "--from-dmesg", str(log)]) == 0
    out = capsys.readouterr().out
    # log: BAR0 space 0x205e00000000-0x205e1effffff and BAR2 space 0x202000000000-0x205dffffffff for 31 VFs
    w0, w2 = 0x205e1effffff - 0x205e00000000 + 1, 0x205dffffffff - 0x202000000000 + 1
    assert (w0 // 31, w2 // 31) == (16 << 20, 8 << 30)
    assert "16 MiB per VF x 31" in out and "8 GiB per VF x 31" in out
    assert main(["topology", "--from-lspci", str(flex)]) == 0
    assert "per VF x 31" not in capsys.readouterr().out


def test_topology_lspci_with_a_resource_file(capsys):
    pf = CAPTURES / "lspci-intel-x550-1.txt"
    res = CAPTURES / "resource-intel-x550-pf-1.txt"
    assert main(["topology", "--from-lspci", str(pf), "--from-resource", f"05:00.0={res}", "--json"]) == 0
    (rec,) = json.loads(capsys.readouterr().out)
    # resource line 8 (IOV BAR 0) spans 1M, TotalVFs 64: 16K per VF
    assert {b["index"]: b["size_per_vf"] for b in rec["sriov"]["vf_bars"]} == {0: 16384, 3: 16384}


@pytest.mark.parametrize("argv,words", [
    (["--from-dmesg", "x.txt"], "--from-lspci"),
    (["--from-lspci", "{lspci}", "--from-resource", "nonsense"], "BDF=FILE"),
    (["--from-lspci", "{lspci}", "--from-resource", "0000:07:00.0={res}"], "does not show"),
    (["--from-lspci", "{lspci}", "--from-dmesg", "no-such-file.txt"], "no such file"),
])
def test_combination_errors_exit_2(argv, words, capsys):
    lspci, res = CAPTURES / "lspci-intel-x550-1.txt", CAPTURES / "resource-intel-x550-pf-1.txt"
    argv = [a.format(lspci=lspci, res=res) for a in argv]
    assert main(["topology", *argv]) == 2
    assert words in capsys.readouterr().err


def test_shipped_scenario_says_its_verdict_depends_on_the_whitelist():
    from dmabuf_lab.litmus.runner import check_scenario
    from dmabuf_lab.litmus.scenario import load_scenario
    sc = load_scenario(ROOT / "litmus" / "p2p-captured-host-bridge-unknown.toml")
    (check,) = check_scenario(sc, "mainline")
    assert check.ok
    assert check.depends_on and all("whitelist" in d for d in check.depends_on)
    assert check.if_allowed.outcome != check.verdict.outcome
    assert "depends on facts the topology's capture does not show" in check.depends_text()


def test_preset_scenario_does_not_depend_on_anything():
    from dmabuf_lab.litmus.runner import check_scenario
    from dmabuf_lab.litmus.scenario import load_scenario
    (check,) = check_scenario(load_scenario(ROOT / "litmus" / "p2p-reachable-same-switch.toml"), "mainline")
    assert check.if_allowed is None and check.depends_on == () and check.depends_text() == ""


def test_scenario_topology_table_with_several_files(tmp_path):
    from dmabuf_lab.litmus.scenario import ScenarioError, load_scenario
    shutil.copy(CAPTURES / "lspci-intel-flex-56c0-sriov-quoted.txt", tmp_path / "a.txt")
    shutil.copy(CAPTURES / "dmesg-intel-flex-56c0-sriov-quoted.txt", tmp_path / "b.txt")
    text = (ROOT / "litmus" / "p2p-captured-host-bridge-unknown.toml").read_text()
    old = re.search(r"^topology = .*$", text, re.M).group(0)
    # the capture holds no second endpoint, so the importer sits on a switch port: a construction
    body = (text.replace(old, 'topology = { lspci = "a.txt", dmesg = ["b.txt"] }\n'
                              'construction = "only the topology files are under test"')
            .replace("0000:04:00.0", "0000:53:00.0").replace("0000:83:00.0", "0000:52:01.0")
            .replace("bar = 1", "bar = 2"))
    (tmp_path / "s.toml").write_text(body)
    sc = load_scenario(tmp_path / "s.toml")
    vb = sc.topology.device("0000:53:00.0").sriov.vf_bars[2]
    assert vb.size_per_vf == 8 << 30                 # from b.txt, not printed in a.txt
    assert sc.fresh_topology().device("0000:53:00.0").sriov.vf_bars[2].size_per_vf == 8 << 30
    assert "a.txt + b.txt" == sc.topology_ref
    (tmp_path / "bad.toml").write_text(body.replace('dmesg = ["b.txt"]', 'dmsg = ["b.txt"]'))
    with pytest.raises(ScenarioError) as e:
        load_scenario(tmp_path / "bad.toml")
    assert e.value.field == "topology.dmsg" and "dmsg" in str(e.value)


def test_load_files_matches_a_single_text_when_there_is_one_file():
    a = load_files(CAPTURES / "lspci-intel-x550-1.txt")
    b = load_path(CAPTURES / "lspci-intel-x550-1.txt")
    assert sorted(a.devices) == sorted(b.devices)


def test_a_bar_of_unknown_size_is_printed_as_unknown():
    from dmabuf_lab.hw.loaders import load_lspci
    text = ("00:00.0 Host bridge [0600]: Intel Corporation Device [8086:09a2]\n"
            "03:00.0 3D controller [0302]: NVIDIA Corporation Device [10de:2330]\n"
            "\tRegion 0: Memory at f0000000 (32-bit, non-prefetchable)\n")
    topo = load_lspci(text)
    gpu = topo.device("0000:03:00.0")
    assert 0 not in gpu.bars and "BAR0" in gpu.unknown
    assert "BAR0  size unknown (at 0xf0000000; the capture does not show its size)" in topo.render_tree()


@pytest.mark.parametrize("cls,code", [
    ("3D controller [0302]", 0x030200), ("3D controller", 0x030200),
    ("Processing accelerators [1200]", 0x120000), ("Display controller", 0x038000),
    ("Non-Essential Instrumentation [1300]", 0x130000), ("Unassigned class [ff00]", 0xff0000),
    ("Class [0b40]", 0x0b4000), ("Generic system peripheral [0807]", 0x080700),
    ("System peripheral", 0x088000), ("Co-processor", 0x0b4000),
])
def test_any_class_text_makes_a_header(cls, code):
    from dmabuf_lab.hw.loaders import read_lspci
    text = (f"0000:3b:00.0 {cls}: Some Vendor Some/Device [Rev 2] [1234:5678] (rev a1) (prog-if 00 [x])\n"
            "\tFlags: bus master, fast devsel, latency 0, IOMMU group 7\n"
            "\tMemory at 9c000000 (32-bit, non-prefetchable) [size=16M]\n")
    dev = read_lspci(text).devices["0000:3b:00.0"]
    assert dev.class_name == re.sub(r"\s*\[[0-9a-f]{4}\]$", "", cls)
    assert dev.class_code == code and (dev.vendor, dev.device) == (0x1234, 0x5678)
    assert dev.iommu_group == 7 and dev.unindexed_bars == [] and dev.bars[0].size == 16 << 20
