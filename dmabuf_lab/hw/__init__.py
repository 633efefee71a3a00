"""Hardware topology: the machine built of PCI functions (``dmabuf_lab.pci``):
device VRAM with LMEM blocks, system RAM, IOMMU domains, KVM guests, presets
and captured machines.

The PCI function, its BARs and bridges, SR-IOV (iov.c) and P2P (p2pdma.c)
are imported from their modules under ``dmabuf_lab.pci``.
"""
from types import ModuleType as _ModuleType

from dmabuf_lab.hw.guest import KvmGuest, Memslot
from dmabuf_lab.hw.iommu import (IOMMU_DOMAIN_BLOCKED, IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_IDENTITY,
                                 IOMMU_DOMAIN_UNMANAGED, IOMMU_READ, IOMMU_WRITE, IommuDomain,
                                 IommuMapping, iommu_iova_to_phys)
from dmabuf_lab.hw.json_export import topology_to_json
from dmabuf_lab.hw.presets import PRESETS, load_topology
from dmabuf_lab.hw.ram import SystemRam, page_is_ram
from dmabuf_lab.hw.render import render_tree
from dmabuf_lab.hw.topology import Topology, lmem_quota
from dmabuf_lab.hw.units import human_size
from dmabuf_lab.hw.vram import LmemObject, Vram, induce_fragmentation, xe_bo_addr, xe_bo_addr_range

__all__ = [n for n, v in list(globals().items()) if not n.startswith("_") and not isinstance(v, _ModuleType)]
