"""vfio-pci under rfc-v2: the IOV interconnect exporter.

The 6.19 exporter plus RFC v1 patch 4's interconnect side, moved onto the
v2 shapes: at export a ``dma_buf_iov_interconnect`` record ``{pdev, bar}`` is
kept with the buffer (``vfio_pci_create_iov_match``); ``attach`` offers
``[IOV(pdev, bar)]`` to an importer with ``supports_interconnects`` and
accepts as soon as it matches, else applies 6.19's rules (P2P importers
only, -EOPNOTSUPP; revoked, -ENODEV).  ``match_interconnect`` accepts the
importer's IOV entry when the importer's function is the physfn of ours and
the BARs agree.  The IOV ``map`` returns a kzalloc'd ``dma_buf_mapping``
whose kvmalloc'd ``phys_vec`` array holds the BAR ranges, with the BAR
number and the element count; there is no unmap, the importer frees it.
The sg_table path is 6.19's (with the corrected core helper).

Bug ``ic-revoked`` (see the revision): the interconnect attach returns
before the revoked test and the IOV map does not look at ``revoked``.

``vfio_pci_dma_buf_iommufd_map()`` is the private vfio -> iommufd bridge of
that time, recognising this revision's ops table.
"""
from __future__ import annotations

from dmabuf_lab.addr.phys_vec_array import dma_buf_mapping_from_ranges
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf import mainline_6_19 as vfio_619
from dmabuf_lab.drivers.vfio_pci.export import VfioExporter
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import (vfio_pci_dma_buf_map, vfio_pci_dma_buf_release,
                                                vfio_pci_dma_buf_unmap)
from dmabuf_lab.core.ops import dma_buf_ops
from dmabuf_lab.kmodel import (ENODEV, ENOMEM, EOPNOTSUPP, ERR_PTR, IS_ERR, KernelError,
                               dma_resv_assert_held, kfree, kstruct, kzalloc, report)
from dmabuf_lab.pci.pci import pci_physfn
from dmabuf_lab.revisions.base import fixed
from dmabuf_lab.revisions.rfc_v2 import (CREATE_IOV_INTERCONNECT, dma_buf_interconnect_ops,
                                         dma_buf_iov_interconnect_ops)
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.rfc_v2 import vfio_iov_ic, _iov_ic, vfio_pci_match_iov_interconnect, vfio_pci_map_iov_interconnect, vfio_pci_iov_ops, vfio_pci_match_interconnects, vfio_pci_dma_buf_attach, vfio_pci_dma_buf_release_v2, vfio_pci_dmabuf_v2_ops, vfio_pci_dma_buf_iommufd_map  # noqa: F401


class RfcV2VfioExporter(VfioExporter):
    ops = vfio_pci_dmabuf_v2_ops

    def export(self):
        dmabuf = super().export()
        ic = kzalloc(vfio_iov_ic)                     # vfio_pci_create_iov_match()
        if ic is None:
            raise KernelError(-ENOMEM, "vfio-pci: iov_ic")
        ic.pdev = self.pdev
        ic.bar = self.s.exporter.bar if self.s.exporter.bar is not None else 0
        object.__setattr__(dmabuf.priv, "_iov_ic", ic)
        return dmabuf


def make_exporter(session):
    return RfcV2VfioExporter(session)
