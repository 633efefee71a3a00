"""vfio-pci as Jason Gunthorpe's March 2026 branch has it (jgunthorpe/linux 29ddc7d35bb9).

The branch's ``drivers/vfio/pci/vfio_pci_dmabuf.c`` is the mapping-type RFC's
vfio (:mod:`dmabuf_lab.drivers.vfio_pci.mapping_types_2026_02`) rebased onto
Leon Romanovsky's revoke series, so it already carries the wait of
1a8a5227f229:

* every buffer has a ``kref`` (1 while registered, +1 per SGT mapping *and*
  per PAL list handed out) and a ``completion`` its last put completes;
* revoke and restore alike, under the reservation lock, invalidate the
  importers and wait for every BOOKKEEP fence (revoke sets ``revoked``
  first); then revoke puts the registered reference and sleeps in
  ``wait_for_completion()``, while restore re-initialises the kref and the
  completion and clears ``revoked``; nothing re-arms them after a revoke;
* attach refuses an importer that cannot be revoked
  (``dma_buf_attach_revocable()``, -EOPNOTSUPP);
* cleanup (device close) does, for every buffer, the same invalidate, fence
  wait, ``kref_put()`` and ``wait_for_completion()``, whether or not a revoke
  already drained it.

What follows from the code as it is, found by the kernel-runtime model's
general checks (refcount_t saturation, a wait nothing can end):

``cleanup-after-revoke``
    closing the device after a revoke puts a kref that is already 0
    (refcount_t underflow WARN, the count saturates) and then waits for a
    completion the revoke consumed: the close never returns.  Mainline
    fixed the same shape with c64a647c84f3 (re-arm after the wait; cleanup
    goes through move(), which skips a revoked buffer); the fixed variant
    is that shape.
``pal-revoked``
    the PAL ``map_phys`` has no ``revoked`` test, so after a revoke it hands
    out the ranges and takes ``kref_get()`` on a count of 0 (refcount_t
    "addition on 0" WARN); fixed: -ENODEV.
``vfio-match-lock``
    ``match_mapping`` asserts the reservation lock attach does not hold;
    fixed: Jason Gunthorpe's diff of 2026-04-13 (own ``pci_dev`` reference).
``fd-error-put``
    a failing ``dma_buf_fd()`` jumps to ``err_dma_buf`` and falls through
    the unwind labels (the 6.19 double free; e98137f0a874 is not in the
    branch); fixed: put and return.

Names follow the lab's RFC core (``move_notify`` for the branch's
``invalidate_mappings``); ``dma_buf_attach_revocable()`` is therefore "the
importer has the notification".  The close path is 6.19's
(:mod:`~dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_core.common`; d97708701434 came later
[inference from its date]).
"""
from __future__ import annotations

from dmabuf_lab.core.file import fput, get_file_active
from dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.common import dma_buf_free_sgt, dma_buf_phys_vec_to_sgt
from dmabuf_lab.core.workqueue import flush_scheduled_work
from dmabuf_lab.drivers.vfio_pci.mapping_types_2026_02 import (MappingTypesVfioExporter, vfio_pci_dma_buf_mt,
                                                               vfio_pci_dma_buf_release_mt)
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import _list_del, vfio_device_put_registration
from dmabuf_lab.kmodel import (ENODEV, ENOMEM, EOPNOTSUPP, ERR_PTR, IS_ERR, KArray, allocation_of,
                               dma_resv_assert_held, dma_resv_lock, dma_resv_unlock, kvfree, kvzalloc, report)
from dmabuf_lab.kmodel.completion import (completion, complete, init_completion, kref, kref_get, kref_init,
                                          kref_put, reinit_completion)
from dmabuf_lab.kmodel.completion import wait_for_completion as _wait_for_completion
from dmabuf_lab.kmodel.fence import DMA_RESV_USAGE_BOOKKEEP, MAX_SCHEDULE_TIMEOUT, dma_resv_wait_timeout
from dmabuf_lab.kmodel.rwsem import down_write, up_write
from dmabuf_lab.kmodel.sched import shared_read
from dmabuf_lab.revisions.base import deref, fixed
from dmabuf_lab.revisions.mapping_types_2026_02 import (DMA_BUF_EMAPPING_PAL, DMA_BUF_EMAPPING_SGT_P2P,
                                                        dma_buf_mapping_pal_exp_ops,
                                                        dma_buf_mapping_sgt_exp_ops, dma_buf_match_mapping,
                                                        dma_buf_move_notify, dma_buf_ops_mt, dma_buf_phys_list,
                                                        dma_buf_phys_vec, match_list)
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mapping_types_2026_03 import dma_buf_attach_revocable  # noqa: F401
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mapping_types_2026_03 import _PIN, vfio_pci_dma_buf_branch, vfio_pci_dma_buf_attach, vfio_pci_dma_buf_done, vfio_pci_dma_buf_map, vfio_pci_dma_buf_unmap, vfio_pci_dma_buf_sgt_ops, vfio_pci_dma_pal_map_phys, vfio_pci_dma_pal_unmap_phys, vfio_pci_dma_buf_pal_ops, vfio_pci_dma_buf_match_mapping, vfio_pci_dmabuf_ops, vfio_pci_dma_buf_arm, wait_for_completion, _invalidate_and_wait, vfio_pci_dma_buf_move, vfio_pci_dma_buf_cleanup  # noqa: F401


class BranchVfioExporter(MappingTypesVfioExporter):
    """The RFC exporter's ioctl and ops swap, with the branch's ops, kref and revoke."""

    ops = vfio_pci_dmabuf_ops
    priv_type = vfio_pci_dma_buf_branch
    fd_error_bug = "fd-error-put"
    dma_buf_move = staticmethod(vfio_pci_dma_buf_move)
    dma_buf_cleanup = staticmethod(vfio_pci_dma_buf_cleanup)

    def after_export(self, priv) -> None:
        super().after_export(priv)
        vfio_pci_dma_buf_arm(priv)


def make_exporter(session):
    return BranchVfioExporter(session)
