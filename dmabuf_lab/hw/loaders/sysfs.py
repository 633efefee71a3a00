"""A snapshot of ``/sys/bus/pci/devices/*/`` -> CapturedMachine.

Snapshot layout (what the one-line command in ``data/README.md`` writes)::

    SNAP/0000:05:00.0/vendor           0x8086
    SNAP/0000:05:00.0/device           0x1563
    SNAP/0000:05:00.0/class            0x020000
    SNAP/0000:05:00.0/resource         one "start end flags" line per resource
    SNAP/0000:05:00.0/sriov_totalvfs   64          (PFs only)
    SNAP/0000:05:00.0/sriov_numvfs     2           (PFs only)
    SNAP/0000:05:00.0/sriov_offset     128         (optional, PFs only)
    SNAP/0000:05:00.0/sriov_stride     2           (optional, PFs only)
    SNAP/0000:05:00.0/sriov_vf_device  1565        (optional, PFs only; "%x", or 0x-prefixed)
    SNAP/0000:05:00.0/virtfn0          ../0000:05:10.0       (link target as text, or a symlink)
    SNAP/0000:05:10.0/physfn           ../0000:05:00.0
    SNAP/0000:05:00.0/iommu_group      ../../../../kernel/iommu_groups/23
    SNAP/0000:05:00.0/devpath          /sys/devices/pci0000:00/0000:00:1c.4/0000:05:00.0

``devpath`` (``readlink -f`` of the device link) is the lab's addition: it is the
only place sysfs shows which bridge a device hangs from.

``resource`` is what drivers/pci/pci-sysfs.c resource_show() prints: one line
per ``struct resource`` of the device, ``0x%016llx 0x%016llx 0x%016llx``
(start, end, flags).  An endpoint shows PCI_BRIDGE_RESOURCES lines: 6 BARs, the
ROM and, with CONFIG_PCI_IOV, the 6 IOV BARs (13 lines); a bridge shows
DEVICE_COUNT_RESOURCE (4 more windows).  An empty slot is all zeros.

Per-VF BAR sizes: sriov_init() grows each IOV resource to the VF BAR size
times TotalVFs and virtfn_add() places VF n's BAR at ``start + n * size``.  The
loader takes a VF's own ``resource`` line when the snapshot has one, and
otherwise divides the IOV resource by ``sriov_totalvfs`` (which is wrong after
a VF Resizable BAR change, pci_iov_vf_bar_set_size(); the note says so).
"""
from __future__ import annotations

import os
import re
import tarfile
import tempfile
import zlib
from pathlib import Path

from dmabuf_lab.hw.loaders.errors import CaptureParseError
from dmabuf_lab.hw.loaders.limits import check_bus, check_sriov
from dmabuf_lab.hw.loaders.lspci import place_in_bus_tree
from dmabuf_lab.hw.loaders.pasted_text import decode
from dmabuf_lab.hw.loaders.records import (CapturedBar, CapturedDevice, CapturedMachine,
                                           CapturedSriov, CapturedVfBar)
from dmabuf_lab.pci.iov import iov_size_per_vf, vf_id_for_routing_id, virtfn_bar_start
from dmabuf_lab.pci.pci import PCI_IOV_RESOURCES, PCI_ROM_RESOURCE, PCI_SRIOV_NUM_BARS, PCI_STD_NUM_BARS

# include/linux/ioport.h: flag bits the resource file exposes (stable ABI)
IORESOURCE_IO = 0x00000100
IORESOURCE_MEM = 0x00000200
IORESOURCE_PREFETCH = 0x00002000
IORESOURCE_READONLY = 0x00004000
IORESOURCE_MEM_64 = 0x00100000
IORESOURCE_DISABLED = 0x10000000
IORESOURCE_UNSET = 0x20000000


_BDF_DIR = re.compile(r"^[0-9a-fA-F]{4,8}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$")
_HEX = re.compile(r"^0x[0-9a-fA-F]{1,16}$")
_RESOURCE_EXPECTED = "three hex numbers 'start end flags' as pci-sysfs.c resource_show() prints"


def parse_resource(text: str, *, file: str | None = None) -> list[tuple[int, int, int]]:
    """The lines of a ``resource`` file as (start, end, flags) tuples, in resource order."""
    out = []
    lines = re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()
    for n, line in enumerate(lines, 1):
        parts = line.split()
        if len(parts) != 3 or not all(_HEX.match(p) for p in parts):
            raise CaptureParseError(f"bad resource line {line.strip()[:60]!r}", file=file, line=n,
                                    expected=_RESOURCE_EXPECTED)
        start, end, flg = (int(p, 16) for p in parts)
        if flg and end < start:
            raise CaptureParseError(f"resource ends (0x{end:x}) before it starts (0x{start:x})",
                                    file=file, line=n, expected="end >= start")
        out.append((start, end, flg))
    if not out:
        raise CaptureParseError("empty resource file", file=file, line=1, expected=_RESOURCE_EXPECTED)
    return out


def resource_to_bar(index: int | None, start: int, end: int, flg: int, *, kind: str = "mem",
                    line: int | None = None) -> CapturedBar | None:
    """One resource line as a CapturedBar, or None for an empty slot."""
    if not flg and not start and not end:
        return None
    size = end - start + 1 if end >= start else None
    unset = bool(flg & IORESOURCE_UNSET)
    if flg & IORESOURCE_IO:
        kind = "io"
    return CapturedBar(index=index, base=None if unset else start, size=size, kind=kind,
                       is64=bool(flg & IORESOURCE_MEM_64), prefetchable=bool(flg & IORESOURCE_PREFETCH),
                       disabled=bool(flg & IORESOURCE_DISABLED), unassigned=unset, line=line)


def read_sysfs(path) -> CapturedMachine:
    """Load a snapshot directory (or a .tar/.tar.gz of one)."""
    p = Path(path)
    if p.is_file() and looks_like_archive(p):
        with tempfile.TemporaryDirectory(prefix="dmabuf-lab-snap-") as tmp:
            try:
                with tarfile.open(p) as tf:
                    _safe_extract(tf, Path(tmp), str(p))
            except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
                why = str(exc) or type(exc).__name__
                raise CaptureParseError(f"truncated or corrupt archive ({why})", file=str(p),
                                        expected="a complete .tar or .tar.gz of a snapshot directory") from None
            machine = _load_dir(_snapshot_root(Path(tmp), str(p)), source=str(p))
        return machine
    if not p.is_dir():
        raise CaptureParseError("not a sysfs snapshot directory", file=str(p),
                                expected="a directory of 0000:bb:dd.f device folders")
    return _load_dir(_snapshot_root(p, str(p)), source=str(p))


#: What an archived snapshot may unpack to: members and bytes (a real one is far smaller).
MAX_ARCHIVE_MEMBERS = 1_000_000
MAX_ARCHIVE_BYTES = 256 << 20
#: One sysfs attribute file (``resource`` is the longest, 17 short lines).
MAX_ATTRIBUTE_BYTES = 64 << 10


def looks_like_archive(p: Path) -> bool:
    """A tar (maybe compressed) -- also one too damaged to read, which extraction then reports."""
    try:
        return tarfile.is_tarfile(p)
    except (EOFError, zlib.error, OSError):
        return True   # starts like an archive but cannot be read: reported by the extraction


def _safe_extract(tf: tarfile.TarFile, dest: Path, name: str) -> None:
    members, links, total = [], [], 0
    for count, m in enumerate(tf, 1):
        if count > MAX_ARCHIVE_MEMBERS:
            raise CaptureParseError(f"more than {MAX_ARCHIVE_MEMBERS} members in the snapshot archive",
                                    file=name, expected="one folder per PCI function")
        target = (dest / m.name).resolve()
        if not str(target).startswith(str(dest.resolve())) or m.isdev():
            raise CaptureParseError(f"unsafe path {m.name!r} in snapshot archive", file=name,
                                    expected="relative paths inside the archive")
        if m.issym() or m.islnk():
            links.append((target, m.linkname))   # kept as a text file holding the target
            continue
        total += m.size
        if total > MAX_ARCHIVE_BYTES:
            raise CaptureParseError(f"the snapshot archive unpacks to more than {MAX_ARCHIVE_BYTES >> 20} MiB",
                                    file=name, expected="a sysfs snapshot (small text files)")
        members.append(m)
    try:
        tf.extractall(dest, members=members, filter="data")
    except TypeError:  # Python without extraction filters
        tf.extractall(dest, members=members)
    # read to the end of the (compressed) stream: a gzip cut short past the last member
    # is still a truncated file, and says so here
    rest = 0
    while rest <= MAX_ARCHIVE_BYTES:
        chunk = tf.fileobj.read(1 << 20)
        if not chunk:
            break
        rest += len(chunk)
    for target, linkname in links:
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(linkname)


def _snapshot_root(p: Path, name: str) -> Path:
    """The folder holding the bdf folders: p itself, or the one folder inside it."""
    for _ in range(64):
        if any(_BDF_DIR.match(c.name) for c in p.iterdir() if c.is_dir()):
            return p
        if _BDF_DIR.match(p.name):
            return p.parent
        subs = [c for c in p.iterdir() if c.is_dir()]
        if len(subs) != 1:
            break
        p = subs[0]
    raise CaptureParseError("no PCI device folders in the snapshot", file=name,
                            expected="folders named like 0000:03:00.0 holding vendor, device, resource")


def _read(dirpath: Path, fname: str) -> str | None:
    f = dirpath / fname
    try:
        if f.is_symlink():
            return os.readlink(f)
        if not f.is_file():
            return None
        with open(f, "rb") as fh:
            data = fh.read(MAX_ATTRIBUTE_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_ATTRIBUTE_BYTES:
        raise CaptureParseError(f"larger than {MAX_ATTRIBUTE_BYTES >> 10} KiB", file=str(f),
                                expected="a sysfs attribute file (one short value or a few lines)")
    return decode(data, file=str(f)).strip()


_INT_TOKEN = {16: re.compile(r"(?:0[xX])?[0-9a-fA-F]{1,16}"), 10: re.compile(r"[0-9]{1,20}")}


def _read_int(dirpath: Path, fname: str, base: int) -> int | None:
    raw = _read(dirpath, fname)
    if raw is None:
        return None
    if not raw:
        return None
    token = raw.split()[0]
    if not _INT_TOKEN[base].fullmatch(token):
        raise CaptureParseError(f"bad value {raw[:40]!r}", file=str(dirpath / fname), line=1,
                                expected="a hex number like 0x8086" if base == 16 else
                                "a decimal number of ASCII digits")
    return int(token, base)


def _link_bdf(target: str | None) -> str | None:
    if not target:
        return None
    base = target.rstrip("/").rsplit("/", 1)[-1]
    return _norm_bdf(base) if _BDF_DIR.match(base) else None


def _norm_bdf(bdf: str) -> str:
    dom, bus, rest = bdf.split(":")
    return f"{int(dom, 16):04x}:{bus.lower()}:{rest.lower()}"


def _load_dir(root: Path, *, source: str) -> CapturedMachine:
    machine = CapturedMachine(source=source, format="sysfs")
    dirs = sorted((c for c in root.iterdir() if c.is_dir() and _BDF_DIR.match(c.name)),
                  key=lambda c: _norm_bdf(c.name))
    inside = root.resolve()
    for c in dirs:
        if c.is_symlink() and not c.resolve().is_relative_to(inside):
            raise CaptureParseError(f"the device folder is a link to {os.readlink(c)[:60]!r}, outside the snapshot",
                                    file=str(c), expected="device folders inside the snapshot directory")
    if not dirs:
        raise CaptureParseError("no PCI device folders in the snapshot", file=str(root),
                                expected="folders named like 0000:03:00.0")
    virtfn_links: dict[str, dict[int, str]] = {}
    resources: dict[str, list[tuple[int, int, int]]] = {}
    spelled: dict[str, str] = {}
    for d in dirs:
        bdf = _norm_bdf(d.name)
        if bdf in spelled:
            raise CaptureParseError(f"the folders {spelled[bdf]!r} and {d.name!r} both name PCI function {bdf}",
                                    file=str(root / d.name),
                                    expected="one folder per PCI function, as /sys/bus/pci/devices has")
        spelled[bdf] = d.name
    for d in dirs:
        dev = CapturedDevice(bdf=_norm_bdf(d.name))
        dev.vendor = _read_int(d, "vendor", 16)
        dev.device = _read_int(d, "device", 16)
        dev.class_code = _read_int(d, "class", 16)
        for what in ("vendor", "device", "class"):
            if getattr(dev, "class_code" if what == "class" else what) is None:
                dev.missing.append(f"no {what} file")
        resources[dev.bdf] = _read_resources(d, dev)
        group = _read(d, "iommu_group")
        if group:
            tail = group.rstrip("/").rsplit("/", 1)[-1]
            if not re.fullmatch(r"[0-9]{1,10}", tail):
                raise CaptureParseError(f"the link ends in {tail[:40]!r}", file=str(d / "iommu_group"),
                                        field="iommu_group", expected="a link to .../iommu_groups/<number>")
            dev.iommu_group = int(tail)
        dev.physfn = _link_bdf(_read(d, "physfn"))
        if dev.physfn == dev.bdf:
            raise CaptureParseError(f"physfn names {dev.bdf} itself", file=str(d / "physfn"), field="physfn",
                                    expected="a link to the PF of this VF")
        dev.is_virtfn = dev.physfn is not None
        links = {}
        for f in d.iterdir():
            m = re.fullmatch(r"virtfn([0-9]{1,5})", f.name)
            if m:
                target = _link_bdf(_read(d, f.name))
                if target == dev.bdf:
                    raise CaptureParseError(f"{f.name} names {dev.bdf} itself", file=str(d / f.name),
                                            field=f.name, expected="a link to one of this PF's VFs")
                if target:
                    links[int(m.group(1))] = target
        if links:
            virtfn_links[dev.bdf] = links
        devpath = _read(d, "devpath")
        if devpath:
            parts = [x for x in devpath.rstrip("/").split("/") if _BDF_DIR.match(x)]
            if len(parts) >= 2 and _norm_bdf(parts[-1]) == dev.bdf:
                dev.parent = _norm_bdf(parts[-2])
        sec = _read_int(d, "secondary_bus_number", 10)
        sub = _read_int(d, "subordinate_bus_number", 10)
        if sec is not None:
            check_bus(sec, "secondary", file=str(d / "secondary_bus_number"), line=1)
            if sub is not None:
                check_bus(sub, "subordinate", file=str(d / "subordinate_bus_number"), line=1)
            dev.secondary_bus, dev.subordinate_bus = sec, sub
        machine.devices[dev.bdf] = dev
    if not any((root / d.name / "devpath").exists() for d in dirs):
        machine.note("no devpath files: the bridge each device hangs from is unknown")
    _read_sriov(root, machine, virtfn_links, resources, spelled)
    place_in_bus_tree(machine)
    return machine


def _read_resources(d: Path, dev: CapturedDevice) -> list[tuple[int, int, int]]:
    """BARs and ROM from ``resource``; returns all its lines for the SR-IOV pass."""
    raw = _read(d, "resource")
    if raw is None:
        dev.missing.append("no resource file: BARs unknown")
        return []
    res = parse_resource(raw, file=str(d / "resource"))
    for i, (start, end, flg) in enumerate(res[:PCI_STD_NUM_BARS]):
        bar = resource_to_bar(i, start, end, flg, line=i + 1)
        if bar is not None:
            dev.bars[i] = bar
    if len(res) > PCI_ROM_RESOURCE:
        start, end, flg = res[PCI_ROM_RESOURCE]
        dev.rom = resource_to_bar(None, start, end, flg, kind="rom", line=PCI_ROM_RESOURCE + 1)
    if len(res) < PCI_ROM_RESOURCE + 1:
        dev.missing.append(f"resource file has {len(res)} lines, expected at least 7")
    return res


def _read_sriov(root: Path, machine: CapturedMachine, virtfn_links: dict, resources: dict,
                spelled: dict) -> None:
    for dev in machine.devices.values():
        d = root / spelled.get(dev.bdf, dev.bdf)
        total = _read_int(d, "sriov_totalvfs", 10)
        if total is None:
            continue
        s = dev.sriov = CapturedSriov(total_vfs=total)
        s.num_vfs = _read_int(d, "sriov_numvfs", 10)
        s.vf_offset = _read_int(d, "sriov_offset", 10)
        s.vf_stride = _read_int(d, "sriov_stride", 10)
        s.vf_device = _read_int(d, "sriov_vf_device", 16)
        links = virtfn_links.get(dev.bdf, {})
        vfs = {i: machine.devices.get(b) for i, b in links.items()}
        if (s.vf_offset is None or s.vf_stride is None) and 0 in links:
            vf0 = _routing(links[0])
            s.vf_offset = vf0 - dev.routing_id
            if 1 in links:
                s.vf_stride = _routing(links[1]) - vf0
            else:
                dev.missing.append("VF stride unknown (one VF and no sriov_stride file)")
        for fname in ("num_vfs", "vf_offset", "vf_stride", "vf_device"):
            if getattr(s, fname) is None and not any(fname in m for m in dev.missing):
                dev.missing.append(f"SR-IOV {fname} not in the snapshot")
        check_sriov(dev, file=str(d / "sriov_numvfs"))
        if s.vf_device is None:
            vf_devs = {v.device for v in vfs.values() if v is not None and v.device is not None}
            if len(vf_devs) == 1:
                s.vf_device = vf_devs.pop()
                dev.missing[:] = [m for m in dev.missing if "vf_device" not in m]
        res = resources.get(dev.bdf, [])
        if len(res) < PCI_IOV_RESOURCES + PCI_SRIOV_NUM_BARS:
            dev.missing.append("resource file has no IOV lines (kernel without CONFIG_PCI_IOV?)")
        for j in range(PCI_SRIOV_NUM_BARS):
            k = PCI_IOV_RESOURCES + j
            if k >= len(res):
                break
            start, end, flg = res[k]
            bar = resource_to_bar(j, start, end, flg, line=k + 1)
            if bar is None:
                continue
            vb = CapturedVfBar(index=j, base=bar.base, is64=bar.is64,
                               prefetchable=bar.prefetchable, line=k + 1)
            vf_sizes = {v.bars[j].size for v in vfs.values()
                        if v is not None and j in v.bars and v.bars[j].size}
            if len(vf_sizes) == 1:
                vb.size_per_vf = vf_sizes.pop()
                vb.size_source = f"VF resource line {j + 1}"
            elif bar.size and total:
                vb.size_per_vf = iov_size_per_vf(bar.size, total)
                vb.size_source = f"IOV resource line {k + 1} / sriov_totalvfs"
                if vb.size_per_vf is not None:
                    dev.missing.append(f"IOV BAR {j}: per-VF size derived as IOV resource / TotalVFs "
                                       "(no VF resource file; wrong after a VF Resizable BAR change)")
            if vb.size_per_vf is None:
                dev.missing.append(f"IOV BAR {j}: per-VF size unknown")
            s.vf_bars[j] = vb
        for i, vf in vfs.items():
            if vf is None:
                dev.missing.append(f"virtfn{i} -> {links[i]} is not in the snapshot")
                continue
            vf.is_virtfn, vf.physfn, vf.vf_index = True, dev.bdf, i
            if s.vf_offset is not None and s.vf_stride is not None:
                if vf_id_for_routing_id(dev.routing_id, s.vf_offset, s.vf_stride,
                                        vf.routing_id, s.total_vfs) != i:
                    dev.missing.append(f"virtfn{i} {vf.bdf} does not sit at PF + offset + stride * {i}")
            for j, vb in s.vf_bars.items():
                b = vf.bars.get(j)
                if b is not None and vb.base is not None and vb.size_per_vf and b.base is not None \
                        and virtfn_bar_start(vb.base, vb.size_per_vf, i) != b.base:
                    dev.missing.append(f"virtfn{i} BAR {j} base does not follow the IOV layout")
    for dev in machine.devices.values():
        if dev.physfn is None:
            continue
        pf = machine.devices.get(dev.physfn)
        if pf is None:
            dev.missing.append(f"physfn {dev.physfn} is not in the snapshot")
        elif dev.vf_index is None and pf.sriov is not None and pf.sriov.vf_offset is not None:
            dev.vf_index = vf_id_for_routing_id(pf.routing_id, pf.sriov.vf_offset,
                                                pf.sriov.vf_stride or 0, dev.routing_id,
                                                pf.sriov.total_vfs)


def _routing(bdf: str) -> int:
    bus = int(bdf[-7:-5], 16)
    slot = int(bdf[-4:-2], 16)
    fn = int(bdf[-1], 16)
    return (bus << 8) | (slot << 3) | fn
