"""`dmabuf-lab topology --from-lspci/--from-sysfs` and load_topology(path) use the loaders."""
import json
from pathlib import Path

from dmabuf_lab.cli import main
from dmabuf_lab.hw.presets import load_topology

CAPTURES = Path(__file__).resolve().parents[2] / "data" / "captures"


def test_tree_from_lspci(capsys):
    assert main(["topology", "--from-lspci", str(CAPTURES / "lspci-intel-adl-igpu-sriov-quoted.txt")]) == 0
    out = capsys.readouterr().out
    assert "0000:00:02.0" in out and "root port" in out
    assert "per-VF size of IOV BAR 0 not printed" in out          # the notes say what is missing


def test_json_from_lspci(capsys):
    assert main(["topology", "--from-lspci", str(CAPTURES / "lspci-connectx7-2.txt"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (pf,) = data
    assert pf["bdf"] == "0000:81:00.0"
    assert pf["sriov"]["total_vfs"] == 16 and pf["sriov"]["vf_offset"] == 2


def test_garbage_file_exits_2_with_the_line(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("\n\nnot lspci at all\n")
    assert main(["topology", "--from-lspci", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:3:" in err and "expected an lspci device header" in err


def test_load_topology_accepts_a_capture_path():
    topo = load_topology(str(CAPTURES / "lspci-intel-x550-1.txt"))
    assert topo.device("0000:05:00.0").sriov.total_vfs == 64
