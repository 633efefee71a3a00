"""PCI peer-to-peer DMA (drivers/pci/p2pdma.c, Linux 6.19): providers, reachability, distance.

A ``p2pdma_provider`` stands for one memory BAR of one PCI function: its
owner device and the offset between CPU physical and PCI bus addresses of
that BAR.  pcim_p2pdma_init() creates one per memory BAR for the life of
the bound driver (devm), so the model keeps them outside the tracked heap.
The state hangs off ``pdev.p2pdma`` as in the kernel.

``calc_map_type_and_dist()`` walks up from the provider; for each of its
upstream bridges it walks up from the client looking for the same bridge.
Found without ACS redirection on the way -> the devices talk by PCI bus
address (``PCI_P2PDMA_MAP_BUS_ADDR``).  ACS redirection on the path, or no
common bridge at all, sends the traffic through the host bridge, which is
allowed (``PCI_P2PDMA_MAP_THRU_HOST_BRIDGE``) only when the CPU is known to
forward P2P or the host bridge is on the whitelist; otherwise
``PCI_P2PDMA_MAP_NOT_SUPPORTED``.  The distance counts the hops both walks took.

A machine loaded from a capture may not show a fact these rules read (a
port's ACS control, the host bridge's ids, the CPU).  Each such fact is
taken against P2P (or for it, see ``Topology.unknowns_taken_for_p2p``) and
named in ``Topology.unknowns_consulted``; ``p2p_verdict()`` computes the
answer both ways and says what it depends on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dmabuf_lab.kmodel import WARN_ON
from dmabuf_lab.twins import mirrors
from dmabuf_lab.pci.bridge import (PCI_ACS_CR, PCI_ACS_EC, PCI_ACS_RR, HostBridge,
                                   pci_find_host_bridge, pci_host_bridge_dev)
from dmabuf_lab.pci.pci import (PCI_STD_NUM_BARS, PciDevice, pci_bus_address, pci_resource_start,
                                pci_upstream_bridge)
from dmabuf_lab.twins import mirrors

# enum pci_p2pdma_map_type (include/linux/pci-p2pdma.h)
PCI_P2PDMA_MAP_UNKNOWN = 0
PCI_P2PDMA_MAP_NONE = 1
PCI_P2PDMA_MAP_NOT_SUPPORTED = 2
PCI_P2PDMA_MAP_BUS_ADDR = 3
PCI_P2PDMA_MAP_THRU_HOST_BRIDGE = 4

MAP_TYPE_NAMES = {
    PCI_P2PDMA_MAP_UNKNOWN: "PCI_P2PDMA_MAP_UNKNOWN",
    PCI_P2PDMA_MAP_NONE: "PCI_P2PDMA_MAP_NONE",
    PCI_P2PDMA_MAP_NOT_SUPPORTED: "PCI_P2PDMA_MAP_NOT_SUPPORTED",
    PCI_P2PDMA_MAP_BUS_ADDR: "PCI_P2PDMA_MAP_BUS_ADDR",
    PCI_P2PDMA_MAP_THRU_HOST_BRIDGE: "PCI_P2PDMA_MAP_THRU_HOST_BRIDGE",
}

PCI_ANY_ID = -1
REQ_SAME_HOST_BRIDGE = 1 << 0


@dataclass(frozen=True)
class WhitelistEntry:
    """One row of ``pci_p2pdma_whitelist[]``: a host bridge known to forward P2P."""

    vendor: int
    device: int
    flags: int = 0
    name: str = ""


# The numeric rows of the kernel's table (entries named only by a #define are left out).
PCI_P2PDMA_WHITELIST = (
    WhitelistEntry(0x8086, 0x3C00, REQ_SAME_HOST_BRIDGE, "Intel Xeon E5/Core i7"),
    WhitelistEntry(0x8086, 0x3C01, REQ_SAME_HOST_BRIDGE, "Intel Xeon E5/Core i7"),
    WhitelistEntry(0x8086, 0x2F00, REQ_SAME_HOST_BRIDGE, "Intel Xeon E7 v3/Xeon E5 v3/Core i7"),
    WhitelistEntry(0x8086, 0x2F01, REQ_SAME_HOST_BRIDGE, "Intel Xeon E7 v3/Xeon E5 v3/Core i7"),
    WhitelistEntry(0x8086, 0x2030, 0, "Intel Skylake-E"),
    WhitelistEntry(0x8086, 0x2031, 0, "Intel Skylake-E"),
    WhitelistEntry(0x8086, 0x2032, 0, "Intel Skylake-E"),
    WhitelistEntry(0x8086, 0x2033, 0, "Intel Skylake-E"),
    WhitelistEntry(0x8086, 0x2020, 0, "Intel Skylake-E"),
    WhitelistEntry(0x8086, 0x09A2, 0, "Intel Ice Lake-SP"),
    WhitelistEntry(0x1AE0, PCI_ANY_ID, 0, "Google SoCs"),
    WhitelistEntry(0x10DE, 0x2F95, 0, "Nvidia CPUs"),
    WhitelistEntry(0x10DE, 0x2F96, 0, "Nvidia CPUs"),
    WhitelistEntry(0x10DE, 0x2F97, 0, "Nvidia CPUs"),
    WhitelistEntry(0x10DE, 0x2F98, 0, "Nvidia CPUs"),
)


def _settings(dev: PciDevice):
    """(whitelist, cpu_supports_p2pdma) of the topology the device belongs to."""
    topo = dev.topology
    if topo is None:
        return PCI_P2PDMA_WHITELIST, False
    return topo.p2pdma_whitelist, topo.cpu_supports_p2pdma


CPU_UNKNOWN = ("whether the CPU forwards P2P; the capture does not show the CPU "
               "(AMD family 17h and later do)")


def _consult(topo, reason: str) -> bool:
    """Note that an answer needs a fact the source does not show; True: take it for P2P."""
    if topo is None:
        return False
    if reason not in topo.unknowns_consulted:
        topo.unknowns_consulted.append(reason)
    return bool(topo.unknowns_taken_for_p2p)


@mirrors("jgunthorpe/linux@b3d4b2148399:drivers/pci/p2pdma.c:pci_bridge_has_acs_redir", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def pci_bridge_has_acs_redir(pdev: PciDevice) -> bool:
    """True when the function has ACS and redirects P2P upstream (RR, CR or EC set)."""
    if "acs" in pdev.unknown:
        return not _consult(pdev.topology, f"ACS redirect at {pdev.bdf}; {pdev.unknown['acs']}")
    if not pdev.acs_cap:
        return False
    return bool(pdev.acs_ctrl & (PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_EC))


def host_bridge_whitelist_unknown(host: HostBridge | None, whitelist) -> str | None:
    """Why it cannot be told whether ``host`` is on the whitelist; None when it can."""
    if host is None:
        return None
    if host.unknown:
        return host.unknown
    root = pci_host_bridge_dev(host)
    if root is None:
        return None
    if "vendor" in root.unknown:
        return f"the capture does not show the vendor id of host bridge {root.bdf}"
    if "device" in root.unknown:
        rows = [e for e in whitelist if e.vendor == root.vendor]
        if rows and not any(e.device == PCI_ANY_ID for e in rows):
            return f"the capture does not show the device id of host bridge {root.bdf}; lspci -nn prints it"
    return None


@mirrors("jgunthorpe/linux@b3d4b2148399:drivers/pci/p2pdma.c:__host_bridge_whitelist", revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def __host_bridge_whitelist(host: HostBridge | None, same_host_bridge: bool, whitelist,
                            log: list | None, topo=None) -> bool:
    """Is this host bridge's root function on the whitelist (honouring REQ_SAME_HOST_BRIDGE)?"""
    unknown = host_bridge_whitelist_unknown(host, whitelist)
    if unknown is not None:
        return _consult(topo, f"the host-bridge P2P whitelist; {unknown}")
    root = pci_host_bridge_dev(host) if host is not None else None
    if root is None:
        return False
    for entry in whitelist:
        if root.vendor != entry.vendor:
            continue
        if entry.device != PCI_ANY_ID and root.device != entry.device:
            continue
        if entry.flags & REQ_SAME_HOST_BRIDGE and not same_host_bridge:
            return False
        return True
    if log is not None:
        log.append(f"{root.bdf}: Host bridge not in P2PDMA whitelist: {root.vendor:04x}:{root.device:04x}")
    return False


@mirrors("jgunthorpe/linux@b3d4b2148399:drivers/pci/p2pdma.c:host_bridge_whitelist", revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def host_bridge_whitelist(a: PciDevice, b: PciDevice, whitelist=None, log: list | None = None) -> bool:
    """May traffic between ``a`` and ``b`` cross their host bridge(s)?"""
    if whitelist is None:
        whitelist = _settings(a)[0]
    host_a = pci_find_host_bridge(a)
    host_b = pci_find_host_bridge(b)
    topo = a.topology
    if host_a is host_b:
        return __host_bridge_whitelist(host_a, True, whitelist, log, topo)
    return (__host_bridge_whitelist(host_a, False, whitelist, log, topo)
            and __host_bridge_whitelist(host_b, False, whitelist, log, topo))


@mirrors("jgunthorpe/linux@b3d4b2148399:drivers/pci/p2pdma.c:calc_map_type_and_dist", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def calc_map_type_and_dist(provider: PciDevice, client: PciDevice, log: list | None = None):
    """Mapping type and distance between two PCI functions: ``(map_type, dist)``.

    ``log``, when given, collects the warnings the kernel prints with ``verbose``.
    """
    map_type, dist = _calc(provider, client, log)
    _cache(provider, client, map_type)
    return map_type, dist


def upstream_path(dev: PciDevice) -> list[PciDevice]:
    """``dev`` and every bridge above it, nearest first (the walk ``pci_upstream_bridge()`` makes)."""
    out = []
    while dev is not None:
        out.append(dev)
        dev = pci_upstream_bridge(dev)
    return out


@mirrors("torvalds/linux@3306e99edf70:drivers/pci/p2pdma.c:upstream_bridge_distance",
         gap="the stored tree predates 6.19, where the same nested walk opens calc_map_type_and_dist(); "
             "the whitelist and map-type tail follows the 6.19 function as the lab's sources describe it",
         revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10",
                    "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def _calc(provider: PciDevice, client: PciDevice, log: list | None):
    """calc_map_type_and_dist() without remembering the answer.

    The kernel walks up from the provider and, at each bridge, walks up from
    the client looking for it.  Both upstream paths are taken once here and
    the client's is indexed, so the first provider-side bridge found on the
    client's path (the lowest common ancestor) and both hop counts come out
    the same, with ACS asked of the same bridges in the same order, in time
    linear in the two depths.
    """
    map_type = PCI_P2PDMA_MAP_THRU_HOST_BRIDGE
    path_a = upstream_path(provider)
    path_b = upstream_path(client)
    index_b = {id(d): i for i, d in reversed(list(enumerate(path_b)))}
    acs_list: list[str] = []
    common = None
    dist_a, dist_b = len(path_a), len(path_b)
    for i, a in enumerate(path_a):
        if pci_bridge_has_acs_redir(a):
            acs_list.append(a.bdf)
        j = index_b.get(id(a))
        if j is not None:
            common, dist_a, dist_b = a, i, j
            break

    dist = dist_a + dist_b
    if common is not None:
        for bb in path_b[:dist_b]:                 # check_b_path_acs
            if pci_bridge_has_acs_redir(bb):
                acs_list.append(bb.bdf)
        if not acs_list:
            return PCI_P2PDMA_MAP_BUS_ADDR, dist
        if log is not None:
            log.append(f"{client.bdf}: ACS redirect is set between the client and provider ({provider.bdf})")
            log.append(f"{client.bdf}: to disable ACS redirect for this path, add the kernel parameter: "
                       f"pci=disable_acs_redir={';'.join(acs_list)}")

    # map_through_host_bridge
    whitelist, cpu_ok = _settings(provider)
    if cpu_ok is not True and not host_bridge_whitelist(provider, client, whitelist, log):
        if cpu_ok is None and _consult(provider.topology, CPU_UNKNOWN):
            return map_type, dist
        if log is not None:
            log.append(f"{client.bdf}: cannot be used for peer-to-peer DMA as the client and provider "
                       f"({provider.bdf}) do not share an upstream bridge or whitelisted host bridge")
        map_type = PCI_P2PDMA_MAP_NOT_SUPPORTED
    return map_type, dist


@dataclass
class P2PVerdict:
    """The P2P answer between two functions, and what it rests on that the source does not show.

    ``map_type`` takes every unknown fact against P2P, ``map_type_if_allowed``
    takes each one for it; ``depends_on`` names those facts.  When the two
    map types agree the answer does not depend on them.
    """

    map_type: int
    distance: int
    map_type_if_allowed: int
    depends_on: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        """True when the unknown facts (if any) do not change the answer."""
        return self.map_type == self.map_type_if_allowed

    def text(self) -> str:
        """One line: the map type, or "unknown: depends on ..." with both answers."""
        if self.known:
            return f"{MAP_TYPE_NAMES[self.map_type]}, distance {self.distance}"
        short = {k: v.replace("PCI_P2PDMA_MAP_", "") for k, v in MAP_TYPE_NAMES.items()}
        return (f"unknown: depends on {' and on '.join(self.depends_on)} "
                f"({short[self.map_type]} if against P2P, {short[self.map_type_if_allowed]} if for it), "
                f"distance {self.distance}")


def p2p_verdict(provider: PciDevice, client: PciDevice) -> P2PVerdict:
    """calc_map_type_and_dist() with every unknown fact taken against P2P, then for it."""
    topo = provider.topology
    if topo is None:
        mt, dist = _calc(provider, client, None)
        return P2PVerdict(mt, dist, mt)
    saved = (list(topo.unknowns_consulted), topo.unknowns_taken_for_p2p)
    try:
        topo.unknowns_consulted = []
        topo.unknowns_taken_for_p2p = False
        against, dist = _calc(provider, client, None)
        depends = tuple(topo.unknowns_consulted)
        topo.unknowns_taken_for_p2p = True
        allowed = _calc(provider, client, None)[0] if depends else against
        depends = tuple(dict.fromkeys(depends + tuple(topo.unknowns_consulted)))
    finally:
        topo.unknowns_consulted, topo.unknowns_taken_for_p2p = saved
    return P2PVerdict(against, dist, allowed, depends)


def _cache(provider: PciDevice, client: PciDevice, map_type: int) -> None:
    """Remember the answer in the provider's p2pdma state, as the kernel's map_types xarray does."""
    state = provider.p2pdma
    if state is not None and hasattr(state, "map_types"):
        state.map_types[(client.domain << 16) | client.routing_id] = map_type


@mirrors("jgunthorpe/linux@b3d4b2148399:drivers/pci/p2pdma.c:find_parent_pci_dev", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def find_parent_pci_dev(dev) -> PciDevice | None:
    """The device itself if it is PCI, else the nearest PCI ancestor through ``.parent``."""
    while dev is not None:
        if isinstance(dev, PciDevice):
            return dev
        dev = getattr(dev, "parent", None)
    return None


@mirrors("jgunthorpe/linux@b3d4b2148399:drivers/pci/p2pdma.c:pci_p2pdma_distance_many", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def pci_p2pdma_distance_many(provider: PciDevice, clients, verbose: bool = False,
                             log: list | None = None) -> int:
    """Summed distance from ``provider`` to every client; -1 if any one cannot do P2P."""
    if not clients:
        return -1
    total = 0
    not_supported = False
    for c in clients:
        pci_client = find_parent_pci_dev(c)
        if pci_client is None:
            if log is not None:
                log.append("cannot be used for peer-to-peer DMA as it is not a PCI device")
            return -1
        map_type, dist = calc_map_type_and_dist(provider, pci_client, log if verbose else None)
        if map_type == PCI_P2PDMA_MAP_NOT_SUPPORTED:
            not_supported = True
        if not_supported and not verbose:
            break
        total += dist
    return -1 if not_supported else total


@mirrors("torvalds/linux@0b9828c7231e:include/linux/pci-p2pdma.h:pci_p2pdma_distance", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def pci_p2pdma_distance(provider, client, verbose: bool = False, log: list | None = None) -> int:
    """Distance between a provider and one client; -1 when P2P is impossible, which
    includes no provider at all and a client with no PCI function at or above it."""
    if provider is None:
        return -1
    return pci_p2pdma_distance_many(_provider_dev(provider), [client], verbose, log)


def _provider_dev(provider) -> PciDevice:
    """Accept a PCI function or anything with an ``owner`` (a ``p2pdma_provider``)."""
    if isinstance(provider, PciDevice):
        return provider
    owner = getattr(provider, "owner", None)
    if isinstance(owner, PciDevice):
        return owner
    raise TypeError(f"P2P provider must be a PciDevice or have a PciDevice .owner, not {provider!r}")


def map_type_between(provider, client, log: list | None = None) -> int:
    """How ``client`` should address memory of ``provider``: a ``PCI_P2PDMA_MAP_*`` value.

    Lab helper for two devices, with no provider set up: ``provider`` is a PCI
    function or a ``p2pdma_provider`` (its ``owner`` is used); a client that is
    not a PCI device gets ``NOT_SUPPORTED``.  A cached answer in the provider's
    p2pdma state is returned, as pci_p2pdma_map_type() does.
    """
    pdev = _provider_dev(provider)
    if not isinstance(client, PciDevice):
        return PCI_P2PDMA_MAP_NOT_SUPPORTED
    state = pdev.p2pdma
    if state is not None and hasattr(state, "map_types"):
        cached = state.map_types.get((client.domain << 16) | client.routing_id, PCI_P2PDMA_MAP_UNKNOWN)
        if cached != PCI_P2PDMA_MAP_UNKNOWN:
            return cached
    return calc_map_type_and_dist(pdev, client, log)[0]


@dataclass(eq=False)
class p2pdma_provider:
    """struct p2pdma_provider {owner, bus_offset} plus the BAR index (lab label)."""

    owner: Any
    bus_offset: int
    bar: int


@dataclass(eq=False)
class pci_p2pdma:
    """Per-device P2P state: one provider slot per standard BAR (None if not MMIO)
    and the cache of map types per client (filled by calc_map_type_and_dist())."""

    mem: list
    map_types: dict = field(default_factory=dict)


def _bar_is_mem(pdev, bar: int) -> bool:
    """pci_resource_flags(pdev, bar) & IORESOURCE_MEM: the model only has memory BARs."""
    b = (getattr(pdev, "bars", None) or {}).get(bar)
    return b is not None and int(b.size) > 0


def _bus_offset(pdev, bar: int) -> int:
    """pci_bus_address() - pci_resource_start(): non-zero behind an offsetting host bridge."""
    return int(pci_bus_address(pdev, bar)) - int(pci_resource_start(pdev, bar))


@mirrors("torvalds/linux@0b9828c7231e:drivers/pci/p2pdma.c:pcim_p2pdma_init", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def pcim_p2pdma_init(pdev) -> int:
    """Set up ``pdev``'s P2P state once: a provider for every memory BAR.  Returns 0."""
    if isinstance(pdev.p2pdma, pci_p2pdma):
        return 0
    mem = [None] * PCI_STD_NUM_BARS
    for i in range(PCI_STD_NUM_BARS):
        if _bar_is_mem(pdev, i):
            mem[i] = p2pdma_provider(owner=pdev, bus_offset=_bus_offset(pdev, i), bar=i)
    pdev.p2pdma = pci_p2pdma(mem=mem)
    return 0


@mirrors("torvalds/linux@0b9828c7231e:drivers/pci/p2pdma.c:pcim_p2pdma_provider", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def pcim_p2pdma_provider(pdev, bar: int):
    """The provider for ``bar`` of ``pdev``, or None when the BAR is not MMIO.

    Calling it before pcim_p2pdma_init() WARNs and returns None, as in the kernel.
    """
    if not 0 <= bar < PCI_STD_NUM_BARS or not _bar_is_mem(pdev, bar):
        return None
    p2p = pdev.p2pdma if isinstance(pdev.p2pdma, pci_p2pdma) else None
    if WARN_ON(p2p is None, "pcim_p2pdma_provider before pcim_p2pdma_init"):
        return None
    return p2p.mem[bar]


@mirrors("torvalds/linux@0b9828c7231e:include/linux/pci-p2pdma.h:pci_p2pdma_map_type", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def pci_p2pdma_map_type(provider: p2pdma_provider, dev) -> int:
    """How ``dev`` reaches the provider's BAR: one of the PCI_P2PDMA_MAP_* values.

    A device that is not PCI, or a provider whose owner never ran
    pcim_p2pdma_init(), cannot do P2P at all (NOT_SUPPORTED).
    """
    if provider.owner.p2pdma is None:
        return PCI_P2PDMA_MAP_NOT_SUPPORTED
    return map_type_between(provider.owner, dev)


@mirrors("torvalds/linux@0b9828c7231e:include/linux/pci-p2pdma.h:pci_p2pdma_bus_addr_map", gap="a callee of dma-buf-mapping.c in this tree, modelled as its callers there use it; its own file was not read at this commit", revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def pci_p2pdma_bus_addr_map(provider: p2pdma_provider, paddr: int) -> int:
    """Translate a CPU physical address in the BAR to the PCI bus address."""
    return int(paddr) + provider.bus_offset
