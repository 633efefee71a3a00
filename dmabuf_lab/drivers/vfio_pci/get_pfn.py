"""vfio-pci under get-pfn: patch 02 of Xu Yilun's RFC, "vfio/pci: Support get_pfn()
callback for dma-buf".

posted / importer-maps: the exporter of that tree has no ``map_dma_buf`` and
no ``attach`` callback, only ``pin`` (always -EINVAL: it must stay movable
so it can be revoked), ``unpin``, ``get_pfn`` and ``release``.
``vfio_pci_dma_buf_get_pfn()`` (resv held) refuses a revoked buffer
(-ENODEV) and a page past the end (-EINVAL), walks the ranges to the one
holding ``pgoff`` and returns the BAR's PFN there, with order 0 always.
Consequences the lab shows: a static importer fails at attach (the pin),
a device importer fails at map (no ``map_dma_buf``), and because the buffer
has pin/unpin, ``dma_buf_get_pfn_unlocked()`` answers -ENOENT unless
CONFIG_DMABUF_MOVE_NOTIFY is on.

exporter-maps: the 6.19 exporter (``vfio_pci_dma_buf_map`` through
``dma_buf_phys_vec_to_sgt()``, P2P importers only), with the corrected core
helper so the helper's own leak does not cloud the comparison.
"""
from __future__ import annotations

from dmabuf_lab.addr import PAGE_SHIFT
from dmabuf_lab.drivers.vfio_pci.export import VfioExporter
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import vfio_pci_dma_buf_release, vfio_pci_dmabuf_ops_fixed
from dmabuf_lab.kmodel import EINVAL, ENODEV, dma_resv_assert_held
from dmabuf_lab.revisions.get_pfn import dma_buf_ops_pfn, exporter_maps
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.get_pfn import vfio_pci_dma_buf_pin, vfio_pci_dma_buf_unpin, vfio_pci_dma_buf_get_pfn, vfio_pci_dmabuf_pfn_ops  # noqa: F401


class GetPfnVfioExporter(VfioExporter):
    """The RFC's vfio exporter, or 6.19's in the exporter-maps mode."""

    def export(self):
        self.ops = vfio_pci_dmabuf_ops_fixed if exporter_maps() else vfio_pci_dmabuf_pfn_ops
        return super().export()


def make_exporter(session):
    return GetPfnVfioExporter(session)
