"""render_tree() output and the `dmabuf-lab topology` subcommand."""
import json

from dmabuf_lab import cli
from dmabuf_lab.hw import PRESETS, human_size, load_topology


def test_human_size():
    assert human_size(4 << 30) == "4 GiB"
    assert human_size(16 << 20) == "16 MiB"
    assert human_size((2 << 30) + (512 << 20)) == "2.5 GiB"
    assert human_size((2 << 30) + (518 << 20)) == "2566 MiB"
    assert human_size(0x9E000) == "632 KiB"
    assert human_size(512) == "512 B"


def test_render_xe_tree():
    text = load_topology("xe-sriov-8vf").render_tree()
    lines = text.splitlines()
    # PF BARs and the IOV windows of the worked example
    assert any("BAR2  0x0000003800000000-0x0000003fffffffff" in ln and "32 GiB" in ln for ln in lines)
    assert any("IOV BAR2" in ln and "0x0000004000000000" in ln and "4 GiB per VF x 8 = 32 GiB" in ln
               for ln in lines)
    assert "SR-IOV: 8/8 VFs enabled (initial 8), VF offset 1, stride 1" in text
    # VF1 = 03:00.2: BAR2 at 0x40_0000_0000 + 4 GiB, marked virtual
    vf1 = next(i for i, ln in enumerate(lines) if "0000:03:00.2" in ln and "VF1 of 0000:03:00.0" in ln)
    assert "BAR2  0x0000004100000000-0x00000041ffffffff" in lines[vf1 + 2]
    assert "[virtual]" in lines[vf1 + 2]
    assert "LMEM quota 2566 MiB in 4 blocks" in lines[vf1 + 3]
    assert "VRAM: 24 GiB" in text
    assert "0000:03:01.0" in text and "VF7 of 0000:03:00.0" in text
    assert "PCI_P2PDMA_MAP_BUS_ADDR, distance 2" in text
    assert text.isascii()


def test_cli_one_preset(capsys):
    assert cli.main(["topology", "gpu-nic-split-root-unlisted"]) == 0
    out = capsys.readouterr().out
    assert "0000:02:00.0" in out and "[15b3:1021]" in out
    assert "PCI_P2PDMA_MAP_NOT_SUPPORTED" in out


def test_cli_all_presets_and_list(capsys):
    assert cli.main(["topology"]) == 0
    out = capsys.readouterr().out
    for name in PRESETS:
        assert name in out
    assert cli.main(["topology", "--list"]) == 0
    assert capsys.readouterr().out.split()[0] == "xe-sriov-8vf"


def test_cli_json(capsys):
    assert cli.main(["topology", "xe-sriov-8vf", "--json"]) == 0
    devices = json.loads(capsys.readouterr().out)
    by_bdf = {d["bdf"]: d for d in devices}
    pf = by_bdf["0000:03:00.0"]
    assert (pf["vendor"], pf["device"]) == ("8086", "e211")
    bar2 = next(b for b in pf["bars"] if b["index"] == 2)
    assert bar2["size"] == 32 << 30 and bar2["prefetchable"] and bar2["is64"]
    s = pf["sriov"]
    assert (s["num_vfs"], s["total_vfs"], s["vf_offset"], s["vf_stride"]) == (8, 8, 1, 1)
    vfbar2 = next(b for b in s["vf_bars"] if b["index"] == 2)
    assert (vfbar2["base"], vfbar2["size_per_vf"]) == (0x40_0000_0000, 4 << 30)
    vf1 = by_bdf["0000:03:00.2"]
    assert vf1["vf_index"] == 1 and vf1["physfn"] == "0000:03:00.0"
    assert next(b for b in vf1["bars"] if b["index"] == 2)["base"] == 0x41_0000_0000


def test_cli_unknown_preset(capsys):
    assert cli.main(["topology", "no-such-machine"]) == 2
    err = capsys.readouterr().err
    assert "no-such-machine" in err and "xe-sriov-8vf" in err
