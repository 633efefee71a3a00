"""vfio_pci_dmabuf.c in Linux 7.2: the export's BAR check through vfio_pci_core_get_iomap().

859dc0f6253b "vfio/pci: Replace vfio_pci_core_setup_barmap() with
vfio_pci_core_get_iomap()" (vfio-v7.2-rc1 merge 3dc0df03396a): the ioctl
asks for the BAR's iomap and fails -ENODEV on an error pointer, the same
verdict as 7.1's check.  A patch over :mod:`.mainline_7_1`.
"""
from __future__ import annotations

from dmabuf_lab.kmodel import IS_ERR
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_7_1 import _export_dma_buf
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_rdwr.mainline_7_2 import vfio_pci_core_get_iomap, _REVS  # noqa: F401


def _bar_unmapped(vdev, bar: int) -> bool:
    return IS_ERR(vfio_pci_core_get_iomap(vdev, bar))


@mirrors("torvalds/linux@859dc0f6253b:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_core_feature_dma_buf",
         gap="not read at this commit: the check is the one the subject describes, in the place of 7.1's (inferred); "
             "the rest is the 7.1 function",
         revisions=_REVS)
def vfio_pci_core_feature_dma_buf(vdev, flags: int, get_dma_buf, *, fixed_helper: bool = False) -> int:
    """VFIO_DEVICE_FEATURE_DMA_BUF in 7.2: 7.1's, checking ``IS_ERR(get_iomap())``."""
    return _export_dma_buf(vdev, flags, get_dma_buf, _bar_unmapped, fixed_helper=fixed_helper)
