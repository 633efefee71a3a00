"""vfio-pci converted to mapping types (RFC 2026-02, the vfio patches of 00/26).

The 6.19 exporter with its ops table split by type:

* ``vfio_pci_dma_buf_sgt_ops`` — 6.19's ``vfio_pci_dma_buf_map`` / ``_unmap``
  (``dma_buf_phys_vec_to_sgt``), offered as ``SGT_P2P`` of the device, so an
  importer that does not accept P2P (or cannot reach the BAR) never matches;
  the ``attachment->peer2peer`` test leaves ``vfio_pci_dma_buf_attach``.
* ``vfio_pci_dma_buf_pal_ops`` — ``vfio_pci_dma_pal_map_phys`` copies the
  ranges into a kvzalloc'd ``dma_buf_phys_list``; ``unmap_phys`` kvfrees it.
* ``vfio_pci_dma_buf_match_mapping`` offers ``[PAL, SGT_P2P]``.

Bugs as posted: ``vfio-match-lock`` (``dma_resv_assert_held`` in
match_mapping, which attach calls unlocked; the fixed variant is Jason
Gunthorpe's inline diff of 2026-04-13, <20260413130147.GG2588311@nvidia.com>:
no assertion, no ``priv->vdev`` test, the device named through a ``pci_dev``
reference taken at export and put at release) and ``pal-revoked`` (``map_phys`` hands
out a revoked BAR; fixed: -ENODEV).  ``sgt-helper`` is the merged core
helper's leak, inherited.
"""
from __future__ import annotations

from dmabuf_lab.drivers.vfio_pci.export import VfioExporter
from dmabuf_lab.drivers.vfio_pci.sgt_helper import _sgt_map, _sgt_unmap
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import vfio_pci_dma_buf, vfio_pci_dma_buf_release
from dmabuf_lab.kmodel import (ENODEV, ENOMEM, ERR_PTR, KArray, allocation_of, dma_resv_assert_held,
                               dma_resv_lock, dma_resv_unlock, kvfree, kvzalloc, report)
from dmabuf_lab.revisions.base import deref, fixed
from dmabuf_lab.twins import mirrors
from dmabuf_lab.revisions.mapping_types_2026_02 import (DMA_BUF_EMAPPING_PAL, DMA_BUF_EMAPPING_SGT_P2P,
                                                        dma_buf_mapping_pal_exp_ops,
                                                        dma_buf_mapping_sgt_exp_ops, dma_buf_match_mapping,
                                                        dma_buf_ops_mt, dma_buf_phys_list,
                                                        dma_buf_phys_vec, match_list)
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mapping_types_2026_02 import _RFC_12, vfio_pci_dma_buf_attach, vfio_pci_dma_buf_sgt_ops, vfio_pci_dma_pal_map_phys, vfio_pci_dma_pal_unmap_phys, vfio_pci_dma_buf_pal_ops, vfio_pci_dma_buf_mt, pci_dev_get, pci_dev_put, vfio_pci_dma_buf_match_mapping, vfio_pci_dma_buf_release_mt, vfio_pci_dmabuf_ops  # noqa: F401


class MappingTypesVfioExporter(VfioExporter):
    ops = vfio_pci_dmabuf_ops
    priv_type = vfio_pci_dma_buf_mt

    def after_export(self, priv) -> None:
        super().after_export(priv)
        if fixed("vfio-match-lock"):
            # the fix takes the reference right after dma_buf_export() succeeded
            priv.pdev = pci_dev_get(self.vdev.pdev)


def make_exporter(session):
    return MappingTypesVfioExporter(session)
