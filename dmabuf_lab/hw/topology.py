"""A whole machine: host bridges, the PCI tree, system RAM and IOMMU domains.

``Topology`` is what presets build and snapshot loaders fill in.  Devices are
added parent first; ``validate()`` checks that the result could exist and
names the device and field of the first thing that could not.
"""
from __future__ import annotations

from dmabuf_lab.errors import TopologyError
from dmabuf_lab.hw.iommu import IommuDomain
from dmabuf_lab.hw.ram import SystemRam
from dmabuf_lab.pci.bridge import HostBridge
from dmabuf_lab.pci.p2pdma import PCI_P2PDMA_WHITELIST
from dmabuf_lab.pci.pci import PciDevice, format_bdf, is_power_of_2, pci_dev_id


def lmem_quota(vf: PciDevice) -> int:
    """Bytes of VRAM provisioned to a VF: its stated quota, else the size of its LMEM object."""
    if vf.lmem_quota is not None:
        return vf.lmem_quota
    return vf.lmem.size if vf.lmem is not None else 0


class Topology:
    """Devices by bdf, the tree under each host bridge, RAM and per-group IOMMU domains.

    ``p2pdma_whitelist`` (host bridges allowed to forward P2P) and
    ``cpu_supports_p2pdma`` (AMD Zen and later forward any P2P) feed the P2P rules;
    a captured machine may leave it ``None``: the capture does not say.

    When a P2P answer needs a fact the source does not show (see
    ``PciDevice.unknown``, ``HostBridge.unknown``), the reason is added to
    ``unknowns_consulted`` and the fact is taken against P2P, or for it when
    ``unknowns_taken_for_p2p`` is set; ``pci.p2pdma.p2p_verdict()`` asks both ways.
    """

    def __init__(self, name: str = "", description: str = "", *, ram: SystemRam | None = None,
                 p2pdma_whitelist=PCI_P2PDMA_WHITELIST, cpu_supports_p2pdma: bool | None = False):
        self.name = name
        self.description = description
        self.ram = ram
        self.host_bridges: list[HostBridge] = []
        self.devices: dict[str, PciDevice] = {}
        self.iommu_domains: dict[int, IommuDomain] = {}
        self.p2pdma_whitelist = tuple(p2pdma_whitelist)
        self.cpu_supports_p2pdma = cpu_supports_p2pdma
        self.unknowns_consulted: list[str] = []
        self.unknowns_taken_for_p2p = False
        self.notes: list[str] = []
        self.guests: list = []          # KVM guests (hw.guest.KvmGuest) running on the host
        self._duplicates: list[str] = []
        self._vf_index: tuple[int, dict] | None = None   # (device count, VFs by id(PF))

    # -- building ----------------------------------------------------------------------
    def add_host_bridge(self, hb: HostBridge) -> HostBridge:
        """Register a host bridge (one root bus)."""
        self.host_bridges.append(hb)
        return hb

    def add_device(self, dev: PciDevice, parent: PciDevice | str | None = None,
                   host_bridge: HostBridge | None = None) -> PciDevice:
        """Add a function under ``parent`` (a bridge or its bdf), or on ``host_bridge``'s root bus.

        A VF made by ``pci_enable_sriov()`` already knows its parent.  A second
        function with the same bdf is recorded and reported by ``validate()``.
        """
        if isinstance(parent, str):
            parent = self.device(parent)
        if parent is not None:
            dev.parent = parent
        if dev.bdf in self.devices:
            self._duplicates.append(dev.bdf)
        else:
            self.devices[dev.bdf] = dev
        dev.topology = self
        if dev.is_virtfn:
            dev.host_bridge = dev.physfn.host_bridge
            return dev
        if dev.parent is not None:
            dev.parent.children.append(dev)
            dev.host_bridge = dev.parent.host_bridge
        else:
            hb = host_bridge
            if hb is None:
                hb = next((h for h in self.host_bridges if h.domain == dev.domain and h.root_bus == dev.bus),
                          None)
            if hb is None:
                raise TopologyError(f"{dev.bdf}: no parent bridge and no host bridge for root bus "
                                    f"{dev.domain:04x}:{dev.bus:02x}", field="parent")
            hb.devices.append(dev)
            dev.host_bridge = hb
        return dev

    def set_iommu_domain(self, group: int, domain: IommuDomain) -> IommuDomain:
        """Attach IOMMU group ``group`` to ``domain``."""
        self.iommu_domains[group] = domain
        return domain

    # -- lookups -----------------------------------------------------------------------
    def device(self, bdf: str) -> PciDevice:
        """The function at ``bdf`` (domain optional); TopologyError naming the known ones otherwise."""
        key = bdf if len(bdf) > 7 else f"0000:{bdf}"
        dev = self.devices.get(key.lower())
        if dev is None:
            known = ", ".join(sorted(self.devices)) or "none"
            raise TopologyError(f"no PCI device {bdf!r} in topology {self.name or '(unnamed)'}; "
                                f"known devices: {known}", field="bdf")
        return dev

    def iommu_domain(self, dev: PciDevice) -> IommuDomain | None:
        """The domain the device's IOMMU group is attached to; None means no IOMMU (dma-direct)."""
        if dev.iommu_group is None:
            return None
        return self.iommu_domains.get(dev.iommu_group)

    def iommu_group_devices(self, group: int) -> list[PciDevice]:
        """Functions in one IOMMU group."""
        return [d for d in self.devices.values() if d.iommu_group == group]

    def vfs(self, pf: PciDevice) -> list[PciDevice]:
        """The PF's VFs in VF-index order."""
        index = self._vf_index
        if index is None or index[0] != len(self.devices):
            by_pf: dict[int, list[PciDevice]] = {}
            for d in self.devices.values():
                if d.physfn is not None:
                    by_pf.setdefault(id(d.physfn), []).append(d)
            index = self._vf_index = (len(self.devices), by_pf)
        return sorted((d for d in index[1].get(id(pf), ()) if d.physfn is pf
                       and self.devices.get(d.bdf) is d), key=lambda d: d.vf_index)

    def walk(self):
        """Yield ``(depth, device)`` in tree order; a PF's VFs follow it at the same depth."""
        def rec(dev, depth):
            yield depth, dev
            if dev.is_physfn:
                for vf in self.vfs(dev):
                    yield depth, vf
            for child in sorted(dev.children, key=lambda d: (d.bus, d.devfn)):
                yield from rec(child, depth + 1)
        for hb in self.host_bridges:
            for dev in sorted(hb.devices, key=lambda d: d.devfn):
                yield from rec(dev, 0)

    def __iter__(self):
        return (d for _, d in self.walk())

    def render_tree(self, p2p: str = "auto") -> str:
        """Readable tree of the machine (see ``hw.render``); ``p2p``: auto, all or summary."""
        from dmabuf_lab.hw.render import render_tree
        return render_tree(self, p2p=p2p)

    def to_json(self) -> list[dict]:
        """Device list as plain data (see ``hw.json_export``)."""
        from dmabuf_lab.hw.json_export import topology_to_json
        return topology_to_json(self)

    # -- validation --------------------------------------------------------------------
    def validate(self) -> "Topology":
        """Raise TopologyError for the first inconsistency found; return self when sound."""
        def fail(dev, fld, msg):
            name = dev.bdf if isinstance(dev, PciDevice) else str(dev)
            raise TopologyError(f"{name}: {msg}", file=self.name or None, field=fld)

        if self._duplicates:
            fail(self._duplicates[0], "bdf", "two functions share this PCI address")

        spans = []   # (start, end, bdf, field) of decoded address ranges
        for dev in self.devices.values():
            for idx, bar in sorted(dev.bars.items()):
                fld = f"bars[{idx}]"
                if bar.index != idx:
                    fail(dev, fld, f"BAR stored at index {idx} says index {bar.index}")
                if not is_power_of_2(bar.size):
                    fail(dev, f"{fld}.size", f"BAR{idx} size {bar.size:#x} is not a power of two")
                if bar.base % bar.size:
                    fail(dev, f"{fld}.base", f"BAR{idx} base {bar.base:#x} is not aligned to its size "
                                             f"{bar.size:#x}")
                if not bar.is64 and bar.end >= 1 << 32:
                    fail(dev, f"{fld}.base", f"32-bit BAR{idx} ends above 4 GiB ({bar.end:#x})")
                if self.ram is not None and self.ram.overlaps(bar.base, bar.size):
                    fail(dev, f"{fld}.base", f"BAR{idx} {bar.base:#x}+{bar.size:#x} overlaps system RAM")
                if not bar.virtual:
                    spans.append((bar.base, bar.end, dev.bdf, fld))
            if dev.is_physfn:
                self._validate_pf(dev, fail, spans)
            if dev.is_virtfn:
                self._validate_vf(dev, fail, spans)
            if dev.parent is not None and dev.parent.bdf not in self.devices:
                fail(dev, "parent", f"parent bridge {dev.parent.bdf} is not in the topology")
            if dev.parent is not None and not dev.is_virtfn:
                p = dev.parent
                if not p.is_bridge:
                    fail(dev, "parent", f"parent {p.bdf} is a {p.pcie_type}, not a bridge")
                if p.secondary is not None and dev.bus != p.secondary:
                    fail(dev, "bus", f"sits on bus {dev.bus:02x} but its parent {p.bdf} has secondary bus "
                                     f"{p.secondary:02x}")
            if dev.is_bridge and dev.secondary is not None and dev.subordinate is not None:
                if not dev.bus < dev.secondary <= dev.subordinate:
                    fail(dev, "secondary", f"bus range [{dev.secondary:02x}-{dev.subordinate:02x}] must lie "
                                           f"above its own bus {dev.bus:02x}")
                p = dev.parent
                if p is not None and p.subordinate is not None and dev.subordinate > p.subordinate:
                    fail(dev, "subordinate", f"subordinate bus {dev.subordinate:02x} is beyond its parent "
                                             f"{p.bdf}'s {p.subordinate:02x}")
            if dev.vram is not None and dev.is_physfn:
                total = 0
                for vf in self.vfs(dev):
                    q = lmem_quota(vf)
                    if q > dev.vram.size:
                        fail(vf, "lmem_quota", f"LMEM quota {q:#x} is bigger than its PF's VRAM "
                                               f"{dev.vram.size:#x}")
                    total += q
                if total > dev.vram.size:
                    fail(dev, "vram", f"VF LMEM quotas total {total:#x} bytes, more than VRAM "
                                      f"{dev.vram.size:#x}")
            if dev.iommu_group is not None and self.iommu_domains and dev.iommu_group not in self.iommu_domains:
                fail(dev, "iommu_group", f"IOMMU group {dev.iommu_group} has no domain")

        spans.sort()
        for (s0, e0, d0, f0), (s1, e1, d1, f1) in zip(spans, spans[1:]):
            nested = (s0 <= s1 and e1 <= e0) or (s1 <= s0 and e0 <= e1)
            if s1 <= e0 and nested and self.devices[d0].domain != self.devices[d1].domain:
                # a domain behind a device's BAR (Intel VMD: the child domain's BARs are
                # carved from the VMD endpoint's MEMBARs), not two devices claiming one range
                continue
            if s1 <= e0:
                raise TopologyError(f"{d1}: {f1} [{s1:#x}-{e1:#x}] overlaps {d0} {f0} [{s0:#x}-{e0:#x}]",
                                    file=self.name or None, field=f1)
        return self

    def _validate_pf(self, pf: PciDevice, fail, spans) -> None:
        iov = pf.sriov
        if iov.num_vfs > iov.total_vfs:
            fail(pf, "sriov.num_vfs", f"NumVFs {iov.num_vfs} exceeds TotalVFs {iov.total_vfs}")
        if iov.initial_vfs > iov.total_vfs:
            fail(pf, "sriov.initial_vfs", f"InitialVFs {iov.initial_vfs} exceeds TotalVFs {iov.total_vfs}")
        if iov.total_vfs and not iov.vf_offset:
            fail(pf, "sriov.vf_offset", "First VF Offset is 0")
        if iov.total_vfs > 1 and not iov.vf_stride:
            fail(pf, "sriov.vf_stride", "VF Stride is 0 with more than one VF")
        for n, vb in sorted(iov.vf_bars.items()):
            fld = f"sriov.vf_bars[{n}]"
            if vb.index != n:
                fail(pf, fld, f"VF BAR stored at index {n} says index {vb.index}")
            if not is_power_of_2(vb.size_per_vf):
                fail(pf, f"{fld}.size_per_vf", f"VF BAR{n} size {vb.size_per_vf:#x} is not a power of two")
            if vb.base % vb.size_per_vf:
                fail(pf, f"{fld}.base", f"IOV BAR{n} base {vb.base:#x} is not aligned to the per-VF size "
                                        f"{vb.size_per_vf:#x}")
            length = vb.window_len(iov.total_vfs)
            if length:
                if self.ram is not None and self.ram.overlaps(vb.base, length):
                    fail(pf, f"{fld}.base", f"IOV BAR{n} window {vb.base:#x}+{length:#x} overlaps system RAM")
                spans.append((vb.base, vb.base + length - 1, pf.bdf, fld))
        vfs = self.vfs(pf)
        if len(vfs) > iov.num_vfs:
            fail(pf, "sriov.num_vfs", f"{len(vfs)} VFs present but NumVFs is {iov.num_vfs}")

    def _validate_vf(self, vf: PciDevice, fail, spans) -> None:
        pf = vf.physfn
        if pf.bdf not in self.devices or self.devices[pf.bdf] is not pf:
            fail(vf, "physfn", f"its PF {pf.bdf} is not in the topology")
        if not pf.is_physfn:
            fail(vf, "physfn", f"its PF {pf.bdf} has no SR-IOV capability")
        iov = pf.sriov
        if vf.vf_index is None or not 0 <= vf.vf_index < iov.num_vfs:
            fail(vf, "vf_index", f"VF index {vf.vf_index} is outside 0..{iov.num_vfs - 1} (NumVFs {iov.num_vfs})")
        rid = pci_dev_id(pf) + iov.vf_offset + iov.vf_stride * vf.vf_index
        want = format_bdf(pf.domain, (rid >> 8) & 0xFF, rid & 0xFF)
        if want != vf.bdf:
            fail(vf, "bdf", f"VF{vf.vf_index} of {pf.bdf} should be at {want} (offset {iov.vf_offset}, "
                            f"stride {iov.vf_stride})")
        for n, bar in sorted(vf.bars.items()):
            vb = iov.vf_bars.get(n)
            if vb is None:
                fail(vf, f"bars[{n}]", f"BAR{n} has no matching IOV BAR in PF {pf.bdf}")
            lo, hi = vb.base, vb.base + vb.window_len(iov.total_vfs)
            if not (lo <= bar.base and bar.base + bar.size <= hi):
                fail(vf, f"bars[{n}]", f"BAR{n} [{bar.base:#x}-{bar.end:#x}] lies outside PF {pf.bdf}'s IOV "
                                       f"window [{lo:#x}-{hi - 1:#x}]")
            if bar.size != vb.size_per_vf:
                fail(vf, f"bars[{n}].size", f"BAR{n} size {bar.size:#x} differs from the per-VF size "
                                            f"{vb.size_per_vf:#x}")
        if lmem_quota(vf) and pf.vram is None:
            fail(vf, "lmem_quota", f"has an LMEM quota but its PF {pf.bdf} has no VRAM")
