"""Ready-made machines for the litmus scenarios and notebooks.

Each builder returns a fresh, validated ``Topology``:

- ``xe-sriov-8vf``: an xe discrete GPU (BMG-class, 24 GiB VRAM) behind its
  internal switch with 8 VFs; VRAM BAR is BAR 2 and the IOV BAR2 window starts
  at 0x40_0000_0000 with 4 GiB per VF, the worked example of docs/sources.md.
  VF LMEM quotas come from the buddy allocator after the PF fragmented the
  low end of VRAM, so each quota is several non-contiguous 2 MiB-aligned blocks.
- ``gpu-nic-same-switch``: a GPU and a ConnectX-7 (with VFs) under one PCIe
  switch, ACS redirect off: P2P by bus address.  ``-acs``: redirect on.
- ``gpu-nic-split-root``: the same two devices under two root ports of a host
  bridge on the P2P whitelist; ``-unlisted``: a host bridge that is not.
- ``vfio-passthrough``: a GPU bound to vfio-pci in an UNMANAGED IOMMU domain
  holding a KVM guest's RAM at IOVA = GPA, beside a NIC in a DMA domain.
"""
from __future__ import annotations

import functools
import os

from dmabuf_lab.errors import TopologyError
from dmabuf_lab.hw.guest import KvmGuest
from dmabuf_lab.hw.iommu import IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_UNMANAGED, IommuDomain
from dmabuf_lab.hw.ram import SystemRam
from dmabuf_lab.hw.topology import Topology
from dmabuf_lab.hw.vram import Vram, induce_fragmentation
from dmabuf_lab.pci.bridge import (ACS_ALL_CAPS, ACS_IOMMU_DEFAULT, PCI_ACS_SV, PCI_ACS_UF, HostBridge,
                                   host_bridge_function, root_port, switch_downstream_port,
                                   switch_upstream_port)
from dmabuf_lab.pci.iov import SriovCap, VfBar, enable_vfs
from dmabuf_lab.pci.pci import Bar, PciDevice

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30

INTEL, MELLANOX, BROADCOM = 0x8086, 0x15B3, 0x1000
LMEM_BAR = 2            # xe's VRAM BAR
GTTMMADR_BAR = 0        # xe's MMIO + GGTT BAR

# ~64 GiB host: low memory, below the 32-bit PCI hole, and above 4 GiB
HOST_RAM = ((0x1000, 0x9E000), (0x100000, 0x7FF00000), (0x1_0000_0000, 0xF_8000_0000))

XE_VF_LMEM_QUOTA = 2 * GiB + 512 * MiB + 6 * MiB     # per VF; rounded to 2 MiB already
XE_PF_RESERVED = 256 * MiB                          # PF-owned VRAM (GuC, page tables...)
XE_SCRATCH_OBJECTS = 16                             # 2 MiB objects, every second one freed


def _host(topo: Topology, hb_device: int, hb_name: str) -> HostBridge:
    hb = topo.add_host_bridge(HostBridge(0, 0, name=hb_name))
    topo.add_device(host_bridge_function("0000:00:00.0", INTEL, hb_device, hb_name), host_bridge=hb)
    return hb


def _dma_domain(topo: Topology, group: int, name: str) -> None:
    topo.set_iommu_domain(group, IommuDomain(IOMMU_DOMAIN_DMA, name=name))


def _bmg_gpu(bdf: str, *, device: int, name: str, bar0: int, bar2: int, bar2_size: int,
             vram_size: int, group: int, driver: str = "xe") -> PciDevice:
    gpu = PciDevice(bdf, INTEL, device, class_code=0x030000, name=name, driver=driver, iommu_group=group,
                    bars=[Bar(GTTMMADR_BAR, bar0, 16 * MiB, prefetchable=False, name="GTTMMADR"),
                          Bar(LMEM_BAR, bar2, bar2_size, name="LMEM")])
    gpu.vram = Vram(vram_size, name=f"{bdf} VRAM")
    return gpu


def _connectx7(bdf: str, *, bar0: int, iov_bar0: int, group: int) -> PciDevice:
    nic = PciDevice(bdf, MELLANOX, 0x1021, class_code=0x020000, name="Mellanox ConnectX-7 (MT2910)",
                    driver="mlx5_core", iommu_group=group, acs_cap=ACS_ALL_CAPS,
                    bars=[Bar(0, bar0, 32 * MiB)])
    nic.sriov = SriovCap(initial_vfs=16, total_vfs=16, num_vfs=0, vf_offset=2, vf_stride=1, vf_device=0x101E,
                         vf_bars={0: VfBar(0, iov_bar0, 1 * MiB)})
    return nic


def _nic_vfs(topo: Topology, nic: PciDevice, count: int, first_group: int) -> None:
    for i, vf in enumerate(enable_vfs(nic, count)):
        vf.driver = "mlx5_core"
        vf.iommu_group = first_group + i
        _dma_domain(topo, vf.iommu_group, f"{vf.bdf} DMA API")


def xe_sriov_8vf() -> Topology:
    """xe PF 0000:03:00.0 with 8 VFs (03:00.1 .. 03:01.0) behind the GPU's internal switch."""
    topo = Topology("xe-sriov-8vf", "xe discrete GPU (BMG-class) with 8 SR-IOV VFs behind its internal switch",
                    ram=SystemRam(HOST_RAM))
    _host(topo, 0x09A2, "Intel Xeon (Ice Lake-SP) host bridge")
    topo.add_device(root_port("0000:00:01.0", INTEL, 0x347A, secondary=0x01, subordinate=0x04,
                              name="Ice Lake-SP PCIe root port", acs_ctrl=ACS_IOMMU_DEFAULT))
    topo.add_device(switch_upstream_port("0000:01:00.0", INTEL, 0xE2FF, secondary=0x02, subordinate=0x04,
                                         name="GPU internal switch upstream port"), parent="0000:00:01.0")
    # the GPU's internal switch has no ACS capability: PF and VFs reach each other directly
    topo.add_device(switch_downstream_port("0000:02:01.0", INTEL, 0xE2F0, secondary=0x03,
                                           name="GPU internal switch downstream port", acs_cap=0),
                    parent="0000:01:00.0")
    topo.add_device(switch_downstream_port("0000:02:02.0", INTEL, 0xE2F0, secondary=0x04,
                                           name="GPU internal switch downstream port", acs_cap=0),
                    parent="0000:01:00.0")
    gpu = _bmg_gpu("0000:03:00.0", device=0xE211, name="Intel Arc Pro B60 (BMG-G21), xe PF",
                   bar0=0x8C00_0000, bar2=0x38_0000_0000, bar2_size=32 * GiB, vram_size=24 * GiB, group=20)
    gpu.sriov = SriovCap(initial_vfs=8, total_vfs=8, num_vfs=0, vf_offset=1, vf_stride=1, vf_device=0xE211,
                         vf_bars={GTTMMADR_BAR: VfBar(GTTMMADR_BAR, 0x8400_0000, 16 * MiB, prefetchable=False),
                                  LMEM_BAR: VfBar(LMEM_BAR, 0x40_0000_0000, 4 * GiB)})
    topo.add_device(gpu, parent="0000:02:01.0")
    _dma_domain(topo, 20, "xe PF DMA API")
    topo.add_device(PciDevice("0000:04:00.0", INTEL, 0xE2F7, class_code=0x040300, name="BMG HD Audio",
                              driver="snd_hda_intel", iommu_group=21,
                              bars=[Bar(0, 0x8D00_0000, 16 * KiB, prefetchable=False)]),
                    parent="0000:02:02.0")
    _dma_domain(topo, 21, "audio DMA API")

    # PF provisioning: PF-owned VRAM first, then a fragmented low end, then one quota per VF
    vram = gpu.vram
    vram.alloc(XE_PF_RESERVED, contiguous=True, owner=gpu, name="PF reserved (GuC, page tables)")
    induce_fragmentation(vram, XE_SCRATCH_OBJECTS, owner=gpu, name="PF scratch ")
    for vf in enable_vfs(gpu, 8):
        vf.driver = "xe"
        vf.iommu_group = 22 + vf.vf_index
        _dma_domain(topo, vf.iommu_group, f"{vf.bdf} DMA API")
        # xe numbers VFs from 1: the config of VF index i is vfid i + 1
        vf.lmem = vram.alloc(XE_VF_LMEM_QUOTA, owner=vf, name=f"VF{vf.vf_index + 1} LMEM")
        if vf.lmem is None:
            raise TopologyError(f"{vf.bdf}: VRAM cannot hold the LMEM quota", field="lmem_quota")
    topo.notes.append("xe VF numbering: VF index i (pci_iov_vf_id) is xe VF i+1; its LMEM object is that config's")
    return topo.validate()


def gpu_nic_same_switch(acs_redirect: bool = False) -> Topology:
    """A GPU and a ConnectX-7 NIC under two downstream ports of one Broadcom PCIe switch."""
    name = "gpu-nic-same-switch-acs" if acs_redirect else "gpu-nic-same-switch"
    topo = Topology(name, "GPU and RDMA NIC under one PCIe switch"
                    + (" (ACS redirect on the switch ports)" if acs_redirect else " (ACS redirect disabled)"),
                    ram=SystemRam(HOST_RAM))
    _host(topo, 0x09A2, "Intel Xeon (Ice Lake-SP) host bridge")
    topo.add_device(root_port("0000:00:01.0", INTEL, 0x347A, secondary=0x01, subordinate=0x05,
                              name="Ice Lake-SP PCIe root port", acs_ctrl=ACS_IOMMU_DEFAULT))
    topo.add_device(switch_upstream_port("0000:01:00.0", BROADCOM, 0xC030, secondary=0x02, subordinate=0x05,
                                         name="Broadcom PEX890xx switch upstream port"), parent="0000:00:01.0")
    dsp_ctrl = ACS_IOMMU_DEFAULT if acs_redirect else PCI_ACS_SV | PCI_ACS_UF
    for slot, bus in ((0, 0x03), (1, 0x04)):
        topo.add_device(switch_downstream_port(f"0000:02:{slot:02x}.0", BROADCOM, 0xC030, secondary=bus,
                                               name="Broadcom PEX890xx switch downstream port",
                                               acs_ctrl=dsp_ctrl), parent="0000:01:00.0")
    if not acs_redirect:
        topo.notes.append("booted with pci=disable_acs_redir=0000:02:00.0;0000:02:01.0")
    gpu = _bmg_gpu("0000:03:00.0", device=0xE20B, name="Intel Arc B580 (BMG-G21)", bar0=0x9000_0000,
                   bar2=0x40_0000_0000, bar2_size=16 * GiB, vram_size=12 * GiB, group=30)
    topo.add_device(gpu, parent="0000:02:00.0")
    _dma_domain(topo, 30, "GPU DMA API")
    nic = _connectx7("0000:04:00.0", bar0=0x50_0000_0000, iov_bar0=0x50_0200_0000, group=31)
    topo.add_device(nic, parent="0000:02:01.0")
    _dma_domain(topo, 31, "NIC DMA API")
    _nic_vfs(topo, nic, 4, 32)
    return topo.validate()


def gpu_nic_split_root(whitelisted: bool = True, cpu_supports_p2pdma: bool = False) -> Topology:
    """A GPU and a NIC under two root ports of one host bridge; P2P crosses the host bridge."""
    if whitelisted:
        name, hb_dev, hb_name = "gpu-nic-split-root", 0x09A2, "Intel Xeon (Ice Lake-SP) host bridge"
    else:
        name, hb_dev, hb_name = "gpu-nic-split-root-unlisted", 0x4660, "Intel 12th Gen Core host bridge"
    topo = Topology(name, "GPU and RDMA NIC on different root ports of one host bridge "
                    + ("on the P2P whitelist" if whitelisted else "not on the P2P whitelist"),
                    ram=SystemRam(HOST_RAM), cpu_supports_p2pdma=cpu_supports_p2pdma)
    _host(topo, hb_dev, hb_name)
    topo.add_device(root_port("0000:00:01.0", INTEL, 0x347A, secondary=0x01, subordinate=0x01,
                              name="PCIe root port", acs_ctrl=ACS_IOMMU_DEFAULT))
    topo.add_device(root_port("0000:00:03.0", INTEL, 0x347C, secondary=0x02, subordinate=0x02,
                              name="PCIe root port", acs_ctrl=ACS_IOMMU_DEFAULT))
    gpu = _bmg_gpu("0000:01:00.0", device=0xE20B, name="Intel Arc B580 (BMG-G21)", bar0=0x9000_0000,
                   bar2=0x40_0000_0000, bar2_size=16 * GiB, vram_size=12 * GiB, group=10)
    topo.add_device(gpu, parent="0000:00:01.0")
    _dma_domain(topo, 10, "GPU DMA API")
    nic = _connectx7("0000:02:00.0", bar0=0x50_0000_0000, iov_bar0=0x50_0200_0000, group=11)
    topo.add_device(nic, parent="0000:00:03.0")
    _dma_domain(topo, 11, "NIC DMA API")
    _nic_vfs(topo, nic, 2, 12)
    return topo.validate()


def vfio_passthrough() -> Topology:
    """A GPU bound to vfio-pci for KVM guest vm0; its UNMANAGED domain maps guest RAM at IOVA = GPA."""
    topo = Topology("vfio-passthrough", "GPU passed through to a KVM guest with vfio-pci, NIC on the host",
                    ram=SystemRam(HOST_RAM))
    _host(topo, 0x09A2, "Intel Xeon (Ice Lake-SP) host bridge")
    topo.add_device(root_port("0000:00:01.0", INTEL, 0x347A, secondary=0x01, subordinate=0x01,
                              name="PCIe root port", acs_ctrl=ACS_IOMMU_DEFAULT))
    topo.add_device(root_port("0000:00:02.0", INTEL, 0x347B, secondary=0x02, subordinate=0x02,
                              name="PCIe root port", acs_ctrl=ACS_IOMMU_DEFAULT))
    gpu = _bmg_gpu("0000:01:00.0", device=0xE20B, name="Intel Arc B580 (BMG-G21)", bar0=0x9000_0000,
                   bar2=0x40_0000_0000, bar2_size=16 * GiB, vram_size=12 * GiB, group=40, driver="vfio-pci")
    topo.add_device(gpu, parent="0000:00:01.0")
    domain = topo.set_iommu_domain(40, IommuDomain(IOMMU_DOMAIN_UNMANAGED, name="vfio/iommufd for vm0"))
    nic = _connectx7("0000:02:00.0", bar0=0x50_0000_0000, iov_bar0=0x50_0200_0000, group=41)
    topo.add_device(nic, parent="0000:00:02.0")
    _dma_domain(topo, 41, "NIC DMA API")

    guest = KvmGuest("vm0")
    guest.add_ram(0x0, 2 * GiB, 0x2_0000_0000)               # below the guest's PCI hole
    guest.add_ram(0x1_0000_0000, 4 * GiB, 0x4_0000_0000)     # above 4 GiB
    guest.assign(gpu, {GTTMMADR_BAR: 0xFC00_0000, LMEM_BAR: 0x80_0000_0000})
    ret = guest.map_ram(domain)
    if ret:
        raise TopologyError(f"vm0: mapping guest RAM into the vfio domain failed ({ret})", field="guest")
    topo.guests.append(guest)
    return topo.validate()


PRESETS = {
    "xe-sriov-8vf": xe_sriov_8vf,
    "gpu-nic-same-switch": gpu_nic_same_switch,
    "gpu-nic-same-switch-acs": functools.partial(gpu_nic_same_switch, acs_redirect=True),
    "gpu-nic-split-root": gpu_nic_split_root,
    "gpu-nic-split-root-unlisted": functools.partial(gpu_nic_split_root, whitelisted=False),
    "vfio-passthrough": vfio_passthrough,
}

PRESET_HELP = {
    "xe-sriov-8vf": "xe PF 03:00.0 + 8 VFs, VF BAR2 0x40_0000_0000 x 4 GiB, fragmented LMEM quotas",
    "gpu-nic-same-switch": "GPU + ConnectX-7 under one switch: P2P by bus address",
    "gpu-nic-same-switch-acs": "same, ACS redirect on: P2P through the (whitelisted) host bridge",
    "gpu-nic-split-root": "GPU + NIC on two root ports, whitelisted host bridge",
    "gpu-nic-split-root-unlisted": "GPU + NIC on two root ports, host bridge not whitelisted: no P2P",
    "vfio-passthrough": "GPU on vfio-pci for KVM guest vm0 (UNMANAGED domain, IOVA = GPA)",
}


def _loaders():
    try:
        from dmabuf_lab.hw import loaders
    except ModuleNotFoundError as exc:
        if exc.name and "dmabuf_lab.hw.loaders".startswith(exc.name):
            return None
        raise
    return loaders


def load_topology(name_or_path) -> Topology:
    """A preset by name, or a captured machine (lspci text / sysfs snapshot) by path.

    A dict ``{"lspci": [...], "dmesg": [...], "resource": {bdf: path}}`` names
    several files of one captured machine (``loaders.load_files``).
    """
    if isinstance(name_or_path, dict):
        loaders = _loaders()
        if loaders is None or not hasattr(loaders, "load_files"):
            raise TopologyError("capture loading is not available in this tree", field="topology")
        return loaders.load_files(name_or_path.get("lspci"), name_or_path.get("dmesg"),
                                  name_or_path.get("resource"))
    builder = PRESETS.get(name_or_path)
    if builder is not None:
        return builder()
    if os.path.exists(name_or_path):
        loaders = _loaders()
        if loaders is None or not hasattr(loaders, "load_path"):
            raise TopologyError(f"cannot read {name_or_path}: snapshot loading is not available in this tree",
                                file=name_or_path)
        loaded = loaders.load_path(name_or_path)
        bufinfo = getattr(loaders, "Bufinfo", None)
        if bufinfo is not None and isinstance(loaded, bufinfo):
            raise TopologyError("this capture is a dma-buf bufinfo dump, which lists buffers, not PCI "
                                "devices; expected `lspci -vvv` text or a sysfs snapshot directory",
                                file=name_or_path)
        return loaded
    raise TopologyError(f"unknown topology {name_or_path!r}: not a file, and not a preset; presets are "
                        + ", ".join(PRESETS), field="preset")
