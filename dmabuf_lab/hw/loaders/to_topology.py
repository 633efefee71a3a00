"""CapturedMachine -> ``hw.Topology``, built with hw's own constructors.

The hw model needs numbers a capture may not show (a BAR's size, a vendor id);
what it cannot hold stays in the captured record, which the topology keeps as
``topology.capture``, and the reason is added to ``topology.missing``:

* a BAR or IOV BAR of unknown size is left out of the hw device (its base is
  still in ``topology.capture`` and in the JSON, with ``size: null``);
* a device with no upstream bridge in the capture hangs from a host bridge
  made for its bus;
* VFs that the PF's NumVFs says exist but the capture does not show are made
  with ``virtfn_add()`` from the PF's SR-IOV layout, as the kernel would.

Any inconsistency hw's ``validate()`` finds is reported as CaptureParseError
naming the capture, because the capture is what is wrong.
"""
from __future__ import annotations

from dmabuf_lab.hw.loaders.errors import CaptureParseError
from dmabuf_lab.hw.loaders.records import CapturedBar, CapturedDevice, CapturedMachine
from dmabuf_lab.twins import mirrors

_TYPE_MAP = {
    "endpoint": "endpoint", "legacy_endpoint": "endpoint", "rc_event_collector": "endpoint",
    "rc_endpoint": "rc_endpoint", "root_port": "root_port", "upstream_port": "upstream_port",
    "downstream_port": "downstream_port", "pcie_to_pci_bridge": "pci_bridge",
    "pci_to_pcie_bridge": "pci_bridge",
}


def _pcie_type(dev: CapturedDevice) -> str:
    if dev.pcie_type in _TYPE_MAP:
        kind = _TYPE_MAP[dev.pcie_type]
        if kind in ("endpoint", "rc_endpoint") and dev.secondary_bus is not None:
            return "pci_bridge"
        return kind
    if dev.secondary_bus is not None or (dev.class_code or 0) >> 8 == 0x0604:
        return "pci_bridge"
    if (dev.class_code or 0) >> 8 == 0x0600:
        return "host_bridge"
    return "endpoint"


def _acs_bits(flags: dict[str, bool] | None) -> int:
    from dmabuf_lab.pci.bridge import ACS_NAMES
    if not flags:
        return 0
    return sum(bit for name, bit in ACS_NAMES if flags.get(name))


def _hw_bar(bar: CapturedBar, virtfn: bool):
    from dmabuf_lab.pci.pci import Bar, is_power_of_2
    if bar.kind != "mem" or bar.base is None or not bar.size or not is_power_of_2(bar.size):
        return None
    # a VF BAR has no register of its own whatever the capture says (sysfs does not mark it)
    return Bar(bar.index, bar.base, bar.size, is64=bool(bar.is64), prefetchable=bool(bar.prefetchable),
               virtual=bar.virtual or virtfn)


def _drop_impossible_bus_ranges(devices: dict, note) -> None:
    """A bridge whose bus range the capture shows outside its parent's cannot be placed
    in a consistent tree (firmware left it so, e.g. a CardBus bridge); its range is not used."""
    for dev in devices.values():
        p = devices.get(dev.parent) if dev.parent else None
        if p is None or dev.secondary_bus is None or p.secondary_bus is None:
            continue
        lo, hi = p.secondary_bus, p.subordinate_bus if p.subordinate_bus is not None else p.secondary_bus
        sub_ = dev.subordinate_bus if dev.subordinate_bus is not None else dev.secondary_bus
        if lo <= dev.secondary_bus <= hi and sub_ <= hi:
            continue
        note(f"{dev.bdf}: bus range [{dev.secondary_bus:02x}-{sub_:02x}] as captured lies outside its "
             f"parent {p.bdf}'s [{lo:02x}-{hi:02x}]; not used")
        dev.secondary_bus = dev.subordinate_bus = None


@mirrors("torvalds/linux@f790c0ca6fad:drivers/pci/iov.c:sriov_enable",
         gap="the stored tree is an early one; only the bus-range test is mirrored, which 6.19 keeps "
             "(pci_iov_virtfn_bus() of the last VF past the bus range: -ENOMEM)")
def _check_vf_bus_range(dev: CapturedDevice, pf, num_vfs: int, file: str | None) -> None:
    """The last VF's bus must lie in the PF's bus range: sriov_enable() refuses (-ENOMEM) otherwise,
    so a capture that shows more VFs than the range holds is not a machine that booted."""
    if not num_vfs:
        return
    s = pf.sriov
    bus = (dev.routing_id + s.vf_offset + s.vf_stride * (num_vfs - 1)) >> 8
    parent = pf.parent
    end = parent.subordinate if parent is not None and parent.subordinate is not None else 0xFF
    if bus > end:
        raise CaptureParseError(f"{dev.bdf}: {num_vfs} VFs would reach bus {bus:#04x}, outside the PF's bus "
                                f"range (ends at {end:#04x}); sriov_enable() refuses that", file=file,
                                line=dev.sriov.line, field="num_vfs",
                                expected="VFs on buses the bridge above the PF forwards")


def _unknown_facts(dev: CapturedDevice) -> dict[str, str]:
    """What ``dev``'s capture does not show, as ``PciDevice.unknown`` holds it."""
    out = {}
    if dev.vendor is None:
        out["vendor"] = "the capture does not show the vendor id"
    if dev.device is None:
        out["device"] = "the capture does not show the device id (lspci without -nn)"
    if dev.class_code is None:
        out["class"] = f"class {dev.class_name!r} has no known code and -nn was not used"
    if dev.acs_ctl is None and (dev.acs_seen or not dev.caps_listed) and not dev.is_virtfn:
        out["acs"] = ("the capture shows an ACS capability but not its control bits" if dev.acs_seen
                      else "the capture does not list its capabilities; lspci -vv as root shows them")
    for idx, bar in sorted(dev.bars.items()):
        if bar.kind == "mem" and bar.size is None:
            where = f"at {bar.base:#x}" if bar.base is not None else "unassigned"
            out[f"BAR{idx}"] = f"{where}; the capture does not show its size"
    return out


# classes and port types that sit on a root bus at devfn 00.0 as the host bridge's function
_ROOT_BUS_CLASSES = (0x0600, 0x0880)
_ROOT_BUS_TYPES = ("host_bridge", "root_port", "rc_endpoint")


def _mark_host_bridges(topo, note, machine: CapturedMachine) -> None:
    """Say which host bridges the capture really shows, and what the CPU is known to do.

    A host bridge made for a bus whose upstream bridges are missing, or whose
    function 00.0 is not in the capture, cannot be checked against the P2P
    whitelist; its ``unknown`` says why.  Only AMD CPUs (family 17h and later)
    forward P2P on their own, and lspci shows the CPU's vendor (as the host
    bridge's) but never its family.
    """
    vendors = set()
    rangeless = {d.domain for d in machine.devices.values()
                 if (d.class_code or 0) >> 8 == 0x0604 and d.secondary_bus is None}
    for hb in topo.host_bridges:
        first = min(hb.devices, key=lambda d: d.devfn, default=None)
        if first is None or first.devfn != 0:
            hb.unknown = f"the capture does not show the host bridge function {hb.label}:00.0"
        elif (first.class_code >> 8 not in _ROOT_BUS_CLASSES or "class" in first.unknown) \
                and first.pcie_type not in _ROOT_BUS_TYPES:
            hb.unknown = (f"the capture does not show the host bridge above {first.bdf}: "
                          + (f"its bridges print no bus numbers, so which one leads to bus {hb.label} "
                             "is unknown (lspci -v prints them)" if hb.domain in rangeless
                             else f"the bridges above bus {hb.label} are not in it"))
        elif "vendor" not in first.unknown:
            vendors.add(first.vendor)
        if hb.unknown:
            note(f"host bridge {hb.label}: P2P whitelist unknown: {hb.unknown}")
    if vendors and 0x1022 not in vendors:
        topo.cpu_supports_p2pdma = False
    else:
        topo.cpu_supports_p2pdma = None
        note("whether the CPU forwards P2P is unknown: the capture does not show the CPU "
             "(AMD family 17h and later do)")


def build_topology(machine: CapturedMachine, *, name: str | None = None):
    """Make an ``hw.Topology`` from a CapturedMachine and validate it."""
    from dmabuf_lab.pci.bridge import HostBridge
    from dmabuf_lab.errors import TopologyError
    from dmabuf_lab.hw.iommu import IommuDomain
    from dmabuf_lab.pci.pci import PciDevice
    from dmabuf_lab.pci.iov import SriovCap, VfBar, virtfn_add
    from dmabuf_lab.hw.topology import Topology

    from dmabuf_lab.paths import display_path

    source = display_path(machine.source)
    label = display_path(name) or source or f"{machine.format} capture"
    topo = Topology(name=label, description=f"loaded from {machine.format} capture {source or ''}".strip())
    missing = list(machine.missing)
    note = missing.append
    made: dict[str, PciDevice] = {}
    host_bridges: dict[tuple[int, int], HostBridge] = {}

    def host_bridge_for(domain: int, bus: int) -> HostBridge:
        hb = host_bridges.get((domain, bus))
        if hb is None:
            hb = HostBridge(domain, bus, name=f"host bridge {domain:04x}:{bus:02x}")
            host_bridges[(domain, bus)] = hb
            topo.add_host_bridge(hb)
        return hb

    def make(dev: CapturedDevice) -> PciDevice:
        vendor = dev.vendor if dev.vendor is not None else 0
        device = dev.device if dev.device is not None else 0
        bars = []
        for bar in dev.bars.values():
            hb = _hw_bar(bar, dev.is_virtfn)
            if hb is not None:
                bars.append(hb)
            elif bar.kind == "mem" and bar.size and bar.base is not None:
                dev.missing.append(f"BAR {bar.index} size {bar.size:#x} is not a power of two; left out")
            elif bar.kind == "mem" and bar.base is not None and bar.size is None:
                dev.missing.append(f"BAR {bar.index} of unknown size left out of the hw model")
        pd = PciDevice(dev.bdf, vendor, device, class_code=dev.class_code or 0, name=dev.name,
                       bars=bars, pcie_type=_pcie_type(dev), driver=dev.driver,
                       iommu_group=dev.iommu_group, acs_cap=_acs_bits(dev.acs_cap),
                       acs_ctrl=_acs_bits(dev.acs_ctl), secondary=dev.secondary_bus,
                       subordinate=dev.subordinate_bus)
        pd.unknown.update(_unknown_facts(dev))
        return pd

    devices = dict(machine.devices)
    _drop_impossible_bus_ranges(devices, note)
    pfs_present = {b for b, d in devices.items() if d.sriov is not None}

    def parent_of(dev: CapturedDevice) -> CapturedDevice | None:
        p = devices.get(dev.parent) if dev.parent else None
        if p is None:
            if dev.parent and not dev.is_virtfn:
                note(f"{dev.bdf}: its upstream bridge {dev.parent} is not in the capture; "
                     "placed on a host bridge of its own")
            return None
        if p.secondary_bus is not None and p.secondary_bus != dev.bus:
            note(f"{dev.bdf}: the bridges between {p.bdf} and bus {dev.bus:02x} are not in the capture; "
                 "placed on a host bridge of its own")
            return None
        return p

    try:
        # non-VF functions, parents before children
        order: list[CapturedDevice] = []
        seen: set[str] = set()

        def visit(dev: CapturedDevice, depth: int = 0) -> None:
            if dev.bdf in seen or depth > 64:
                return
            seen.add(dev.bdf)
            p = parent_of(dev)
            if p is not None and not (p.physfn and p.physfn in pfs_present):
                visit(p, depth + 1)
            order.append(dev)

        for dev in devices.values():
            if not (dev.is_virtfn and dev.physfn in pfs_present):
                visit(dev)
        for dev in order:
            pd = make(dev)
            p = parent_of(dev)
            if p is not None and p.bdf in made and made[p.bdf].is_bridge:
                topo.add_device(pd, made[p.bdf])
            else:
                if p is not None:
                    note(f"{dev.bdf}: upstream {p.bdf} is not a bridge in the capture; "
                         "placed on a host bridge of its own")
                topo.add_device(pd, host_bridge=host_bridge_for(pd.domain, pd.bus))
            made[dev.bdf] = pd
            if dev.is_virtfn:
                note(f"{dev.bdf}: a VF whose PF {dev.physfn or '(unknown)'} is not in the capture; "
                     "kept as a plain function")

        # SR-IOV capabilities, then the VFs the capture shows, then the rest by virtfn_add()
        vfs_of: dict[str, list[CapturedDevice]] = {}
        for d in devices.values():
            if d.physfn in pfs_present and d.vf_index is not None:
                vfs_of.setdefault(d.physfn, []).append(d)
        for bdf in pfs_present:
            dev, pd = devices[bdf], made[bdf]
            s = dev.sriov
            vf_devs = sorted(vfs_of.get(bdf, ()), key=lambda d: d.vf_index)
            num_vfs = s.num_vfs or 0
            if vf_devs and vf_devs[-1].vf_index + 1 > num_vfs:
                note(f"{bdf}: the capture shows VF{vf_devs[-1].vf_index} but NumVFs is {num_vfs} "
                     "(blocks captured at different times?); NumVFs raised to match")
                num_vfs = vf_devs[-1].vf_index + 1
            vf_bars = {}
            for j, vb in s.vf_bars.items():
                if vb.base is None or not vb.size_per_vf:
                    continue
                vf_bars[j] = VfBar(j, vb.base, vb.size_per_vf, is64=bool(vb.is64),
                                   prefetchable=bool(vb.prefetchable))
            pd.sriov = SriovCap(initial_vfs=s.initial_vfs if s.initial_vfs is not None else (s.total_vfs or 0),
                                total_vfs=s.total_vfs or 0, num_vfs=0,
                                vf_offset=s.vf_offset or 0, vf_stride=s.vf_stride or 0,
                                vf_device=s.vf_device if s.vf_device is not None else 0,
                                vf_bars=vf_bars)
            pd.sriov.num_vfs = num_vfs
            _check_vf_bus_range(dev, pd, num_vfs, machine.source)
            present = {}
            for vdev in vf_devs:
                vf = make(vdev)
                vf.physfn, vf.vf_index, vf.parent = pd, vdev.vf_index, pd.parent
                for j in list(vf.bars):
                    if j not in vf_bars:
                        del vf.bars[j]
                        vdev.missing.append(f"BAR {j} left out: its PF's IOV BAR {j} size is unknown")
                topo.add_device(vf)
                made[vdev.bdf] = vf
                present[vdev.vf_index] = vf
            if s.vf_device is None:
                pd.unknown["vf_device"] = "the SR-IOV block does not show the VF device id"
            absent = [i for i in range(num_vfs) if i not in present]
            if absent:
                note(f"{bdf}: NumVFs is {num_vfs} but the capture shows {len(present)} VF(s); "
                     f"VF{absent[0]}.. made from the SR-IOV layout")
                for i in absent:
                    vf = virtfn_add(pd, i)
                    if "vendor" in pd.unknown:
                        vf.unknown["vendor"] = f"its PF {bdf}'s vendor id is not in the capture"
                    if "vf_device" in pd.unknown:
                        vf.unknown["device"] = f"its PF {bdf}'s VF device id is not in the capture"
                    topo.add_device(vf)

        _mark_host_bridges(topo, note, machine)
        groups = sorted({d.iommu_group for d in made.values() if d.iommu_group is not None})
        if groups:
            for g in groups:
                topo.set_iommu_domain(g, IommuDomain(name=f"group {g}"))
            note("IOMMU default domain type is not in the capture: DMA domains assumed")
        topo.validate()
    except CaptureParseError:
        raise
    except TopologyError as exc:
        raise CaptureParseError(f"the capture does not describe a consistent machine: {exc.message}",
                                file=machine.source, field=exc.field) from None
    except (ValueError, TypeError, KeyError, IndexError, RecursionError) as exc:
        raise CaptureParseError(f"the capture could not be turned into a topology: {type(exc).__name__}: {exc}",
                                file=machine.source) from None

    missing.extend(f"{d.bdf}: {m}" for d in machine.devices.values() for m in d.missing)
    topo.capture = machine
    topo.missing = list(dict.fromkeys(missing))
    topo.notes.extend(topo.missing)
    return topo
