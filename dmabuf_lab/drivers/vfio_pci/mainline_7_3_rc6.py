"""vfio_pci under v7.3-rc6: as 7.2; its map now reaches the 7.3 dma_buf_phys_vec_to_sgt()
(06dd5e1ae8ce, b344ca94e8cc), picked by :func:`dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.common.helper_release`."""
from dmabuf_lab.drivers.vfio_pci.mainline_7_2 import make_exporter  # noqa: F401
