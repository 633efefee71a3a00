"""Hardware topology: the machine built of PCI functions (``dmabuf_lab.pci``):
switches and host bridges, device VRAM with LMEM blocks, system RAM, IOMMU
domains, KVM guests, presets and captured machines.

The PCI function, BAR and bridge names are handed on from ``dmabuf_lab.pci.pci``
and ``dmabuf_lab.pci.bridge``; SR-IOV (iov.c) and P2P (p2pdma.c) are imported
from ``dmabuf_lab.pci.iov`` and ``dmabuf_lab.pci.p2pdma``.
"""
from types import ModuleType as _ModuleType

from dmabuf_lab.errors import TopologyError
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
from dmabuf_lab.pci.bridge import (ACS_IOMMU_DEFAULT, PCI_ACS_CR, PCI_ACS_EC, PCI_ACS_RR, PCI_ACS_SV,
                                   PCI_ACS_UF, HostBridge, host_bridge_function, pci_find_host_bridge,
                                   pci_host_bridge_dev, root_port, switch_downstream_port,
                                   switch_upstream_port)
from dmabuf_lab.pci.pci import (PCI_DEVFN, PCI_DEVID, PCI_FUNC, PCI_IOV_RESOURCES, PCI_ROM_RESOURCE,
                                PCI_SLOT, Bar, PciDevice, format_bdf, parse_bdf, pci_bus_address,
                                pci_dev_id, pci_physfn, pci_resource_end, pci_resource_len,
                                pci_resource_start, pci_upstream_bridge, routing_id_to_bus_devfn)

__all__ = [n for n, v in list(globals().items()) if not n.startswith("_") and not isinstance(v, _ModuleType)]
