"""Mainline (mainline-6.19) MMIO dma-bufs over PCI P2P: what each topology gets, as frames.

A GPU's BAR 2 is exported through vfio-pci (``VFIO_DEVICE_FEATURE_DMA_BUF``)
and a ConnectX-7 attaches as a dynamic sg_table importer that allows P2P.
How the NIC reaches the BAR decides the table ``dma_buf_phys_vec_to_sgt()``
builds: PCI bus addresses behind a shared switch, one IOVA span through the
host bridge, or -EINVAL when the host bridge is not known to forward P2P.
"""
from __future__ import annotations

import polars as pl

from dmabuf_lab.addr import for_each_sgtable_dma_sg, sg_dma_address, sg_dma_len
from dmabuf_lab.core import close_fd, dma_buf_get, dma_buf_put
from dmabuf_lab.core.importers import sgt_importer
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import (VFIO_DEVICE_FEATURE_GET, vfio_device_feature_dma_buf,
                                                vfio_pci_core_device, vfio_pci_core_feature_dma_buf)
from dmabuf_lab.hw.presets import load_topology
from dmabuf_lab.kmodel import IS_ERR, PTR_ERR, Kernel, errname
from dmabuf_lab.pci.p2pdma import MAP_TYPE_NAMES, map_type_between, pci_p2pdma_distance

GiB, MiB = 1 << 30, 1 << 20
LMEM_BAR = 2
# preset -> (GPU exporting its BAR through vfio-pci, NIC importing)
CASES = {
    "gpu-nic-same-switch": ("0000:03:00.0", "0000:04:00.0"),
    "gpu-nic-split-root": ("0000:01:00.0", "0000:02:00.0"),
    "gpu-nic-split-root-unlisted": ("0000:01:00.0", "0000:02:00.0"),
}
def map_bar_slices(preset: str, ranges: list[tuple[int, int]], *, faithful: bool = True,
                   dynamic: bool = True, allow_peer2peer: bool = True) -> dict:
    """Export ``ranges`` (offset, length) of BAR 2, attach the NIC, map, unmap, tear down.

    One row: the P2P map type and distance, the outcome (``mapped`` or the
    errno name), the DMA entries' count and bytes, IOMMU map calls, and the
    kinds of findings the kernel model recorded.
    """
    gpu_bdf, nic_bdf = CASES[preset]
    topo = load_topology(preset)
    gpu, nic = topo.device(gpu_bdf), topo.device(nic_bdf)
    vdev = vfio_pci_core_device(gpu)
    entries: list[tuple[int, int]] = []
    outcome = "mapped"
    with Kernel() as k:
        fd = vfio_pci_core_feature_dma_buf(vdev, VFIO_DEVICE_FEATURE_GET,
                                           vfio_device_feature_dma_buf(LMEM_BAR, list(ranges)),
                                           fixed_helper=not faithful)
        if fd < 0:
            outcome = f"export {errname(fd)}"
        else:
            buf = dma_buf_get(fd)
            imp = sgt_importer(nic, dynamic=dynamic, allow_peer2peer=allow_peer2peer)
            att = imp.do_attach(buf)
            if IS_ERR(att):
                outcome = f"attach {errname(PTR_ERR(att))}"
            else:
                sgt = imp.do_map()
                if IS_ERR(sgt):
                    outcome = f"map {errname(PTR_ERR(sgt))}"
                else:
                    entries = [(int(sg_dma_address(sg)), int(sg_dma_len(sg)))
                               for sg in for_each_sgtable_dma_sg(sgt)]
                    imp.do_unmap()
                imp.do_detach()
            dma_buf_put(buf)
            close_fd(fd)
    domain = topo.iommu_domain(nic)
    return {
        "topology": preset,
        "variant": "as merged" if faithful else "fixed",
        "map_type": MAP_TYPE_NAMES.get(map_type_between(gpu, nic), "?").replace("PCI_P2PDMA_MAP_", ""),
        "distance": pci_p2pdma_distance(gpu, nic),
        "ranges": len(ranges),
        "bytes": sum(length for _, length in ranges),
        "outcome": outcome,
        "sg_entries": len(entries),
        "dma_bytes": sum(length for _, length in entries),
        "iommu_map_calls": getattr(domain, "map_calls", 0) if domain is not None else 0,
        "findings": sorted({f.kind for f in k.findings}),
    }


def p2p_cases(ranges: list[tuple[int, int]]) -> pl.DataFrame:
    """Every topology x {as merged, fixed} for one list of BAR slices."""
    rows = [map_bar_slices(preset, ranges, faithful=faithful)
            for preset in CASES for faithful in (True, False)]
    return pl.DataFrame(rows)


def entry_counts(counts: list[int], *, range_len: int, stride: int) -> pl.DataFrame:
    """SG entries for ``n`` equal slices, with and without one IOVA span (fixed variant)."""
    rows = []
    for n in counts:
        ranges = [(i * stride, range_len) for i in range(n)]
        for preset in ("gpu-nic-same-switch", "gpu-nic-split-root"):
            rows.append(map_bar_slices(preset, ranges, faithful=False))
    return pl.DataFrame(rows)
