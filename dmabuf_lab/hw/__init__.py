"""Hardware topology: PCI functions and BARs, SR-IOV, switches and host bridges,
device VRAM with LMEM blocks, system RAM, IOMMU domains and the PCI P2P rules."""
from types import ModuleType as _ModuleType

from dmabuf_lab.hw.bridge import (ACS_IOMMU_DEFAULT, PCI_ACS_CR, PCI_ACS_EC, PCI_ACS_RR, PCI_ACS_SV,
                                  PCI_ACS_UF, HostBridge, host_bridge_function, pci_find_host_bridge,
                                  pci_host_bridge_dev, root_port, switch_downstream_port,
                                  switch_upstream_port)
from dmabuf_lab.hw.errors import TopologyError
from dmabuf_lab.hw.guest import KvmGuest, Memslot
from dmabuf_lab.hw.iommu import (IOMMU_DOMAIN_BLOCKED, IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_IDENTITY,
                                 IOMMU_DOMAIN_UNMANAGED, IOMMU_READ, IOMMU_WRITE, IommuDomain,
                                 IommuMapping, iommu_iova_to_phys)
from dmabuf_lab.hw.json_export import topology_to_json
from dmabuf_lab.hw.p2p import (PCI_P2PDMA_MAP_BUS_ADDR, PCI_P2PDMA_MAP_NONE, PCI_P2PDMA_MAP_NOT_SUPPORTED,
                               PCI_P2PDMA_MAP_THRU_HOST_BRIDGE, PCI_P2PDMA_MAP_UNKNOWN,
                               PCI_P2PDMA_WHITELIST, WhitelistEntry, calc_map_type_and_dist,
                               pci_bridge_has_acs_redir, pci_p2pdma_distance, pci_p2pdma_distance_many,
                               pci_p2pdma_map_type)
from dmabuf_lab.hw.pci import (PCI_DEVFN, PCI_DEVID, PCI_FUNC, PCI_IOV_RESOURCES, PCI_ROM_RESOURCE,
                               PCI_SLOT, Bar, PciDevice, format_bdf, parse_bdf, pci_bus_address,
                               pci_dev_id, pci_physfn, pci_resource_end, pci_resource_len,
                               pci_resource_start, pci_upstream_bridge, routing_id_to_bus_devfn)
from dmabuf_lab.hw.presets import PRESETS, load_topology
from dmabuf_lab.hw.ram import SystemRam, page_is_ram
from dmabuf_lab.hw.render import render_tree
from dmabuf_lab.hw.sriov import (SriovCap, VfBar, enable_vfs, pci_enable_sriov, pci_iov_resource_size,
                                 pci_iov_resource_start, pci_iov_vf_bar_start, pci_iov_vf_id,
                                 pci_iov_virtfn_bdf, pci_iov_virtfn_bus, pci_iov_virtfn_devfn,
                                 vf_for_bar_address, virtfn_add)
from dmabuf_lab.hw.topology import Topology, lmem_quota
from dmabuf_lab.hw.units import human_size
from dmabuf_lab.hw.vram import LmemObject, Vram, induce_fragmentation, xe_bo_addr, xe_bo_addr_range

__all__ = [n for n, v in list(globals().items()) if not n.startswith("_") and not isinstance(v, _ModuleType)]
