"""SR-IOV (drivers/pci/iov.c): a PF's capability, where its VFs' BARs live, and the VFs' names.

Each SR-IOV BAR of the PF describes one BAR of every VF: the PF reserves an
IOV window of per-VF size × TotalVFs and VF *i* gets the slice at window
start + *i* × per-VF size.  A VF's routing id is the PF's routing id + First
VF Offset + *i* × VF Stride.

The kernel's functions take a ``pci_dev``; the arithmetic under them is also
written on plain numbers (``virtfn_bus()``, ``virtfn_devfn()``,
``iov_size_per_vf()``...) for the capture loaders, which have numbers before
they have devices.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from dmabuf_lab.errors import TopologyError
from dmabuf_lab.kmodel import EINVAL, EIO, ENOMEM, ENOSYS
from dmabuf_lab.pci.pci import (PCI_IOV_RESOURCES, Bar, PciDevice, format_bdf,
                                pci_dev_id, pci_physfn, routing_id_to_bus_devfn)
from dmabuf_lab.twins import mirrors


@dataclass
class VfBar:
    """One SR-IOV BAR of a PF: VF BAR ``index`` for all VFs, starting at ``base``."""

    index: int
    base: int
    size_per_vf: int
    is64: bool = True
    prefetchable: bool = True

    def window_len(self, total_vfs: int) -> int:
        """Size of the IOV window the PF reserves: per-VF size × TotalVFs."""
        return self.size_per_vf * total_vfs


@dataclass
class SriovCap:
    """The SR-IOV extended capability of a PF (``struct pci_sriov``)."""

    initial_vfs: int
    total_vfs: int
    num_vfs: int
    vf_offset: int
    vf_stride: int
    vf_device: int
    vf_bars: dict = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.vf_bars, dict):
            self.vf_bars = {b.index: b for b in self.vf_bars}


def virtfn_routing_id(pf_routing_id: int, offset: int, stride: int, vf_id: int) -> int:
    """Routing id (bus << 8 | devfn) of VF ``vf_id``: PF routing id + offset + stride × id."""
    return pf_routing_id + offset + stride * vf_id


def virtfn_bus(bus: int, devfn: int, offset: int, stride: int, vf_id: int) -> int:
    """Bus number of VF ``vf_id``: carries out of devfn spill into the bus number."""
    return bus + (virtfn_routing_id(devfn, offset, stride, vf_id) >> 8)


def virtfn_devfn(devfn: int, offset: int, stride: int, vf_id: int) -> int:
    """devfn of VF ``vf_id``: the low 8 bits of devfn + offset + stride × id."""
    return virtfn_routing_id(devfn, offset, stride, vf_id) & 0xFF


def iov_size_per_vf(iov_resource_size: int, total_vfs: int) -> int | None:
    """Per-VF size of one IOV BAR, from the size of the PF's whole IOV resource.

    sriov_init() sizes the VF BAR register (one VF's worth) and then grows the
    PF's IOV resource to that size times TotalVFs; virtfn_add() divides it back.
    Returns None when the division cannot be done (no VFs, or not a whole
    multiple, which a real kernel never produces).
    """
    if not total_vfs or total_vfs <= 0 or iov_resource_size <= 0:
        return None
    size, rem = divmod(iov_resource_size, total_vfs)
    return size if rem == 0 and size > 0 else None


def virtfn_bar_start(iov_base: int, size_per_vf: int, vf_id: int) -> int:
    """Start of VF ``vf_id``'s copy of a BAR: ``res->start + size * id`` in virtfn_add()."""
    return iov_base + size_per_vf * vf_id


def vf_id_for_routing_id(pf_routing_id: int, offset: int, stride: int,
                         vf_routing_id: int, total_vfs: int | None) -> int | None:
    """Inverse of virtfn_routing_id(): which VF a routing id is, or None."""
    delta = vf_routing_id - pf_routing_id - offset
    if delta < 0:
        return None
    if stride == 0:
        vf_id = 0 if delta == 0 else None
    elif delta % stride:
        return None
    else:
        vf_id = delta // stride
    if vf_id is None or (total_vfs is not None and vf_id >= total_vfs):
        return None
    return vf_id


@mirrors("torvalds/linux@0b9828c7231e:drivers/pci/iov.c:pci_iov_virtfn_bus", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19",))
def pci_iov_virtfn_bus(dev: PciDevice, vf_id: int) -> int:
    """Bus number of VF ``vf_id`` of PF ``dev``; -EINVAL when ``dev`` is not a PF."""
    if not dev.is_physfn:
        return -EINVAL
    return virtfn_bus(dev.bus, dev.devfn, dev.sriov.vf_offset, dev.sriov.vf_stride, vf_id)


@mirrors("torvalds/linux@0b9828c7231e:drivers/pci/iov.c:pci_iov_virtfn_devfn", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19",))
def pci_iov_virtfn_devfn(dev: PciDevice, vf_id: int) -> int:
    """devfn of VF ``vf_id`` of PF ``dev``; -EINVAL when ``dev`` is not a PF."""
    if not dev.is_physfn:
        return -EINVAL
    return virtfn_devfn(dev.devfn, dev.sriov.vf_offset, dev.sriov.vf_stride, vf_id)


def pci_iov_virtfn_bdf(dev: PciDevice, vf_id: int) -> str:
    """``pci_name()`` the VF ``vf_id`` of PF ``dev`` gets (lab helper)."""
    rid = virtfn_routing_id(pci_dev_id(dev), dev.sriov.vf_offset, dev.sriov.vf_stride, vf_id)
    bus, devfn = routing_id_to_bus_devfn(rid)
    return format_bdf(dev.domain, bus, devfn)


@mirrors("torvalds/linux@0b9828c7231e:drivers/pci/iov.c:pci_iov_vf_id", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("rfc-v1",))
def pci_iov_vf_id(dev: PciDevice) -> int:
    """Index of VF ``dev`` among its PF's VFs, from the routing ids; -EINVAL for a non-VF."""
    if not dev.is_virtfn:
        return -EINVAL
    pf = pci_physfn(dev)
    num = pci_dev_id(dev) - (pci_dev_id(pf) + pf.sriov.vf_offset)
    # C int division truncates toward zero
    q = abs(num) // pf.sriov.vf_stride
    return q if num >= 0 else -q


def _iov_bar(pf: PciDevice, bar: int) -> int:
    """Accept a VF BAR number 0..5 or a resource number 7..12."""
    return bar - PCI_IOV_RESOURCES if bar >= PCI_IOV_RESOURCES else bar


def pci_iov_resource_start(pf: PciDevice, bar: int) -> int:
    """Start of the PF's IOV window for VF BAR ``bar`` (0..5, or resource 7..12); 0 if none."""
    if not pf.is_physfn:
        return 0
    vb = pf.sriov.vf_bars.get(_iov_bar(pf, bar))
    return vb.base if vb else 0


@mirrors("torvalds/linux@0b9828c7231e:drivers/pci/iov.c:pci_iov_resource_size", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("rfc-v1", "rfc-v2", "mapping-types-2025-10"))
def pci_iov_resource_size(pf: PciDevice, bar: int) -> int:
    """Per-VF size of VF BAR ``bar`` (``pci_iov_resource_size()``); 0 if none."""
    if not pf.is_physfn:
        return 0
    vb = pf.sriov.vf_bars.get(_iov_bar(pf, bar))
    return vb.size_per_vf if vb else 0


def pci_iov_vf_bar_start(pf: PciDevice, vf_id: int, bar: int) -> int:
    """Where VF ``vf_id``'s BAR ``bar`` starts: IOV window start + vf_id × per-VF size."""
    return virtfn_bar_start(pci_iov_resource_start(pf, bar), pci_iov_resource_size(pf, bar), vf_id)


def vf_for_bar_address(pf: PciDevice, bar: int, addr: int) -> tuple[int, int] | None:
    """Which enabled VF's BAR ``bar`` holds CPU address ``addr``: (vf_id, offset) or None.

    The exact rule, ``start <= addr < start + len`` for every byte of the BAR.
    """
    if not pf.is_physfn:
        return None
    size = pci_iov_resource_size(pf, bar)
    start = pci_iov_resource_start(pf, bar)
    if not size or addr < start:
        return None
    vf_id, offset = divmod(addr - start, size)
    if vf_id >= pf.sriov.num_vfs:
        return None
    return vf_id, offset


@mirrors("torvalds/linux@0b9828c7231e:drivers/pci/iov.c:virtfn_add", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19",))
def virtfn_add(pf: PciDevice, vf_id: int) -> PciDevice:
    """Create VF ``vf_id`` of ``pf`` with its virtual BARs, as ``virtfn_add()`` does."""
    iov = pf.sriov
    bdf = pci_iov_virtfn_bdf(pf, vf_id)
    vf = PciDevice(bdf, pf.vendor, iov.vf_device, class_code=pf.class_code,
                   name=f"{pf.name} VF{vf_id}" if pf.name else f"VF{vf_id}",
                   parent=pf.parent, pcie_type="endpoint")
    vf.physfn = pf
    vf.vf_index = vf_id
    vf.host_bridge = pf.host_bridge
    for n, vb in sorted(iov.vf_bars.items()):
        vf.add_bar(Bar(n, virtfn_bar_start(vb.base, vb.size_per_vf, vf_id), vb.size_per_vf, is64=vb.is64,
                       prefetchable=vb.prefetchable, virtual=True))
    return vf


@mirrors("torvalds/linux@0b9828c7231e:drivers/pci/iov.c:pci_enable_sriov", gap="in the newest mainline tree the lab read (for dma-buf-mapping.c); this file itself was not read at this commit", revisions=("mainline-6.19",))
def pci_enable_sriov(pf: PciDevice, nr_virtfn: int, *, topology=None) -> int:
    """Enable ``nr_virtfn`` VFs: 0 or a negative errno like ``sriov_enable()``.

    The new VFs join ``topology`` (or the PF's own) when one is known.
    """
    if not pf.is_physfn:
        return -ENOSYS
    iov = pf.sriov
    if not nr_virtfn:
        return 0
    if iov.num_vfs:
        return -EINVAL
    if iov.initial_vfs > iov.total_vfs:
        return -EIO
    if nr_virtfn < 0 or nr_virtfn > iov.total_vfs:
        return -EINVAL
    if not iov.vf_offset or (nr_virtfn > 1 and not iov.vf_stride):
        return -EIO
    last_bus = pci_iov_virtfn_bus(pf, nr_virtfn - 1)
    parent = pf.parent
    if parent is not None and parent.subordinate is not None and last_bus > parent.subordinate:
        return -ENOMEM   # "SR-IOV: bus number out of range"
    vfs = [virtfn_add(pf, i) for i in range(nr_virtfn)]
    topo = topology if topology is not None else pf.topology
    if topo is not None:
        for vf in vfs:
            topo.add_device(vf)
    iov.num_vfs = nr_virtfn
    return 0


def enable_vfs(pf: PciDevice, nr_virtfn: int, *, topology=None) -> list[PciDevice]:
    """Lab helper: ``pci_enable_sriov()`` that raises TopologyError instead of returning -errno."""
    ret = pci_enable_sriov(pf, nr_virtfn, topology=topology)
    if ret:
        raise TopologyError(f"{pf.bdf}: enabling {nr_virtfn} VFs failed with {ret}", field="num_vfs")
    topo = topology if topology is not None else pf.topology
    if topo is None:
        return []
    return topo.vfs(pf)
