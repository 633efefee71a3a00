"""sysfs snapshots built in tmp_path from the X550 resource files and the numbers its lspci prints.

Hand arithmetic from resource-intel-x550-pf-1.txt:
  line 8  (IOV BAR 0): 0x80a00000-0x80afffff -> 0x100000 bytes / 64 TotalVFs = 0x4000 per VF
  line 11 (IOV BAR 3): 0x80b00000-0x80bfffff -> same
and resource-intel-x550-vf-1.txt (VF 0): BAR0 0x80a00000-0x80a03fff, BAR3 0x80b00000-0x80b03fff.
VF n's BARs sit at 0x80a00000 + n * 0x4000 and 0x80b00000 + n * 0x4000; VF n's routing id is
0x0500 + 128 + 2n (lspci: VF offset 128, stride 2), so VF 1 is 05:10.2.
"""
import io
import os
import tarfile
from pathlib import Path

import pytest

from dmabuf_lab.hw.loaders import (CaptureParseError, load_path, load_sysfs, parse_resource,
                                   read_sysfs)
from dmabuf_lab.hw.loaders.capture_json import capture_topology_to_json

CAPTURES = Path(__file__).resolve().parents[2] / "data" / "captures"
PF_RESOURCE = (CAPTURES / "resource-intel-x550-pf-1.txt").read_text()
VF_RESOURCE = (CAPTURES / "resource-intel-x550-vf-1.txt").read_text()


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def make_snapshot(root: Path, *, symlinks=False, with_vf=True, offset_files=True) -> Path:
    pf = root / "0000:05:00.0"
    write(pf / "vendor", "0x8086\n")
    write(pf / "class", "0x020000\n")
    write(pf / "resource", PF_RESOURCE)
    write(pf / "sriov_totalvfs", "64\n")
    write(pf / "sriov_numvfs", "2\n")
    if offset_files:
        write(pf / "sriov_offset", "128\n")
        write(pf / "sriov_stride", "2\n")
        write(pf / "sriov_vf_device", "1565\n")
    write(pf / "devpath", "/sys/devices/pci0000:00/0000:00:1c.4/0000:05:00.0\n")
    links = {pf / "virtfn0": "../0000:05:10.0", pf / "virtfn1": "../0000:05:10.2",
             pf / "iommu_group": "../../../../kernel/iommu_groups/23"}
    if with_vf:
        vf = root / "0000:05:10.0"
        write(vf / "vendor", "0x8086\n")
        write(vf / "device", "0x1565\n")
        write(vf / "class", "0x020000\n")
        write(vf / "resource", VF_RESOURCE)
        write(vf / "devpath", "/sys/devices/pci0000:00/0000:00:1c.4/0000:05:10.0\n")
        links[vf / "physfn"] = "../0000:05:00.0"
        links[vf / "iommu_group"] = "../../../../kernel/iommu_groups/27"
    for path, target in links.items():
        if symlinks:
            os.symlink(target, path)
        else:
            write(path, target + "\n")
    return root


def test_resource_file_lines():
    res = parse_resource(PF_RESOURCE)
    assert len(res) == 13                       # 6 BARs + ROM + 6 IOV BARs (CONFIG_PCI_IOV)
    assert res[0] == (0x6004800000, 0x6004bfffff, 0x14220c)
    assert res[7] == (0x80a00000, 0x80afffff, 0x140204)
    assert res[10] == (0x80b00000, 0x80bfffff, 0x140204)


@pytest.mark.parametrize("symlinks", [False, True])
def test_snapshot_gives_pf_vf_and_layout(tmp_path, symlinks):
    topo = load_sysfs(make_snapshot(tmp_path / "snap", symlinks=symlinks))
    pf = topo.device("0000:05:00.0")
    assert pf.bars[0].base == 0x6004800000 and pf.bars[0].size == 0x400000
    assert pf.bars[0].prefetchable and pf.bars[0].is64          # flags 0x14220c
    assert pf.bars[4].base == 0x6004c04000 and pf.bars[4].size == 0x4000
    s = pf.sriov
    assert (s.total_vfs, s.num_vfs, s.vf_offset, s.vf_stride, s.vf_device) == (64, 2, 128, 2, 0x1565)
    assert s.vf_bars[0].base == 0x80a00000 and s.vf_bars[3].base == 0x80b00000
    assert s.vf_bars[0].size_per_vf == 0x4000 and s.vf_bars[3].size_per_vf == 0x4000
    assert not s.vf_bars[0].prefetchable                          # flags 0x140204
    vf0 = topo.device("0000:05:10.0")
    assert vf0.physfn is pf and vf0.vf_index == 0 and vf0.iommu_group == 27
    assert (vf0.bars[0].base, vf0.bars[3].base) == (0x80a00000, 0x80b00000)
    # VF 1 is not in the snapshot: made from the layout, at 05:10.2
    vf1 = topo.device("0000:05:10.2")
    assert vf1.vf_index == 1
    assert (vf1.bars[0].base, vf1.bars[3].base) == (0x80a00000 + 0x4000, 0x80b00000 + 0x4000)
    assert pf.iommu_group == 23
    assert any("virtfn1" in m for m in topo.missing)


def test_per_vf_size_from_iov_resource_when_no_vf_folder(tmp_path):
    m = read_sysfs(make_snapshot(tmp_path / "snap", with_vf=False))
    vb = m.devices["0000:05:00.0"].sriov.vf_bars[0]
    assert vb.size_per_vf == 0x100000 // 64
    assert "sriov_totalvfs" in vb.size_source
    assert any("VF Resizable BAR" in x for x in m.all_missing())


def test_offset_and_stride_from_virtfn_links(tmp_path):
    m = read_sysfs(make_snapshot(tmp_path / "snap", offset_files=False))
    s = m.devices["0000:05:00.0"].sriov
    # virtfn0 -> 05:10.0 (0x0580), virtfn1 -> 05:10.2 (0x0582); PF 0x0500
    assert (s.vf_offset, s.vf_stride) == (0x80, 2)
    assert s.vf_device == 0x1565                      # from the VF's own device file


def test_tarball_of_the_snapshot(tmp_path):
    snap = make_snapshot(tmp_path / "pci-snapshot")
    tgz = tmp_path / "pci-snapshot.tar.gz"
    with tarfile.open(tgz, "w:gz") as tf:
        tf.add(snap, arcname="pci-snapshot")
    topo = load_path(tgz)
    assert topo.device("0000:05:10.0").bars[3].base == 0x80b00000


def test_json_of_a_snapshot(tmp_path):
    topo = load_path(make_snapshot(tmp_path / "snap"))
    recs = {r["bdf"]: r for r in capture_topology_to_json(topo)}
    pf = recs["0000:05:00.0"]
    assert pf["device"] is None                        # no device file in this snapshot
    assert pf["sriov"]["vf_bars"] == [
        {"index": 0, "base": 0x80a00000, "size_per_vf": 0x4000, "prefetchable": False, "is64": True},
        {"index": 3, "base": 0x80b00000, "size_per_vf": 0x4000, "prefetchable": False, "is64": True}]
    assert recs["0000:05:10.2"]["captured"] is False


@pytest.mark.parametrize("bad, line", [
    ("0x0000006004800000 0x0000006004bfffff\n", 1),
    ("0x0 0x0 0x0\nhello there friend\n", 2),
    ("0x10 0x0f 0x200\n", 1),
    ("", 1),
])
def test_bad_resource_file_names_file_and_line(tmp_path, bad, line):
    snap = make_snapshot(tmp_path / "snap")
    (snap / "0000:05:10.0" / "resource").write_text(bad)
    with pytest.raises(CaptureParseError) as e:
        load_sysfs(snap)
    assert e.value.line == line and e.value.file.endswith("0000:05:10.0/resource")


def test_not_a_snapshot(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(CaptureParseError):
        load_sysfs(tmp_path / "empty")
    with pytest.raises(CaptureParseError):
        load_sysfs(tmp_path / "nope")


def test_tar_with_escaping_path_is_refused(tmp_path):
    tgz = tmp_path / "evil.tar"
    with tarfile.open(tgz, "w") as tf:
        data = b"0x8086\n"
        info = tarfile.TarInfo("../../0000:00:00.0/vendor")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    with pytest.raises(CaptureParseError):
        load_sysfs(tgz)


def _flip(text: str, flips) -> str:
    data = bytearray(text.encode())
    for pos, bit in flips:
        if data:
            data[pos % len(data)] ^= bit
    return data.decode("utf-8", "replace")


def test_mangled_resource_files_in_a_snapshot():
    import tempfile

    from hypothesis import given
    from hypothesis import strategies as st

    flips = st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from([1, 2, 4, 8, 16, 32, 64])), max_size=4)

    @given(flips, flips, st.integers(0, 3))
    def run(pf_flips, vf_flips, numvfs):
        with tempfile.TemporaryDirectory() as tmp:
            snap = make_snapshot(Path(tmp) / "snap")
            (snap / "0000:05:00.0" / "resource").write_text(_flip(PF_RESOURCE, pf_flips))
            (snap / "0000:05:10.0" / "resource").write_text(_flip(VF_RESOURCE, vf_flips))
            (snap / "0000:05:00.0" / "sriov_numvfs").write_text(f"{numvfs}\n")
            try:
                load_sysfs(snap)
            except CaptureParseError:
                pass

    run()


@pytest.mark.parametrize("text", ["1565\n", "0x1565\n"])
def test_sriov_vf_device_both_spellings(tmp_path, text):
    # iov.c sriov_vf_device_show() prints "%x"; a later patch proposes "0x%04x"
    snap = make_snapshot(tmp_path / "snap")
    (snap / "0000:05:00.0" / "sriov_vf_device").write_text(text)
    assert read_sysfs(snap).devices["0000:05:00.0"].sriov.vf_device == 0x1565
