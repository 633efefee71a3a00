"""PCI peer-to-peer DMA providers (drivers/pci/p2pdma.c, Linux 6.19).

A ``p2pdma_provider`` stands for one memory BAR of one PCI function: its
owner device and the offset between CPU physical and PCI bus addresses of
that BAR.  pcim_p2pdma_init() creates one per memory BAR for the life of
the bound driver (devm), so the model keeps them outside the tracked heap.
The state hangs off ``pdev.p2pdma`` as in the kernel.  Whether a client can
reach the BAR, and how, is the topology's question:
``pci_p2pdma_map_type()`` asks :mod:`dmabuf_lab.hw`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dmabuf_lab import hw
from dmabuf_lab.hw.p2p import pci_p2pdma_distance  # noqa: F401  (drivers/pci/p2pdma.c, for importers here)
from dmabuf_lab.kmodel import WARN_ON

#: Number of standard BARs of a PCI function (PCI_STD_NUM_BARS).
PCI_STD_NUM_BARS = 6


@dataclass(eq=False)
class p2pdma_provider:
    """struct p2pdma_provider {owner, bus_offset} plus the BAR index (lab label)."""

    owner: Any
    bus_offset: int
    bar: int


@dataclass(eq=False)
class pci_p2pdma:
    """Per-device P2P state: one provider slot per standard BAR (None if not MMIO)
    and the cache of map types per client (filled by hw.pci_p2pdma_map_type)."""

    mem: list
    map_types: dict = field(default_factory=dict)


def _bar(pdev, bar: int):
    bars = getattr(pdev, "bars", None) or {}
    return bars.get(bar)


def _bar_is_mem(pdev, bar: int) -> bool:
    """pci_resource_flags(pdev, bar) & IORESOURCE_MEM: the model only has memory BARs."""
    b = _bar(pdev, bar)
    return b is not None and int(b.size) > 0


def _bus_offset(pdev, bar: int) -> int:
    """pci_bus_address() - pci_resource_start(): non-zero behind an offsetting host bridge."""
    return int(hw.pci_bus_address(pdev, bar)) - int(hw.pci_resource_start(pdev, bar))


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


def pci_p2pdma_map_type(provider: p2pdma_provider, dev) -> int:
    """How ``dev`` reaches the provider's BAR: one of hw's PCI_P2PDMA_MAP_* values.

    A device that is not PCI, or a provider whose owner never ran
    pcim_p2pdma_init(), cannot do P2P at all (NOT_SUPPORTED).
    """
    if provider.owner.p2pdma is None:
        return hw.PCI_P2PDMA_MAP_NOT_SUPPORTED
    if not hasattr(dev, "bdf"):
        return hw.PCI_P2PDMA_MAP_NOT_SUPPORTED
    return hw.pci_p2pdma_map_type(provider.owner, dev)


def pci_p2pdma_bus_addr_map(provider: p2pdma_provider, paddr: int) -> int:
    """Translate a CPU physical address in the BAR to the PCI bus address."""
    return int(paddr) + provider.bus_offset
