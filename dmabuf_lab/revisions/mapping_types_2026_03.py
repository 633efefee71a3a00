"""DMA-buf mapping types, the branch Jason Gunthorpe rebased in March 2026.

On 2026-03-01 (Message-ID ``<20260301190543.GA768004@nvidia.com>``) Jason
Gunthorpe reported the RFC series ("[PATCH RFC 00/26] Add DMA-buf mapping
types and convert vfio/iommufd to use them") rebased onto drm-misc-next,
with the vfio part reworked for Leon Romanovsky's revoke series, and asked
whether to post it without the RFC tag; no later posting was found.  The
branch renames (``struct dma_buf_phys_vec`` -> ``struct phys_vec``,
``dma_buf_sgt_map_attachment()`` and friends, ``dma_buf_mapping_attach()``,
``ops->single_exporter_match`` for exporters without ``match_mapping``) do
not change any verdict, so the model reuses the RFC's code
(:mod:`dmabuf_lab.revisions.mapping_types_2026_02`) and its drivers:

* fixed in the branch: xe passes its real match count (``xe-match-len``);
* still present: vfio's ``match_mapping`` asserts the reservation lock
  that attach does not hold (``vfio-match-lock``); the dynamic-attach
  wrapper dereferences a NULL ``importer_ops`` (``dynamic-attach-null-ops``);
  the PAL ``map_phys`` does not test ``revoked`` (``pal-revoked``); the
  6.19 helper's leak on the SGT path (``sgt-helper``).

The branch's vfio already carries the revoke series' wait (1a8a5227f229):
a kref per buffer that SGT mappings *and* PAL lists hold, a completion,
attach refusing importers that cannot be revoked, and a cleanup that puts
and waits for every buffer without the later re-arm fix (c64a647c84f3).
Its model is :mod:`dmabuf_lab.drivers.vfio_pci.mapping_types_2026_03`
(jgunthorpe/linux 29ddc7d35bb9); what that adds to the RFC's bugs:

* ``cleanup-after-revoke``: closing the device after a revoke underflows
  the kref and waits for ever;
* ``fd-error-put``: the export's fd error path still falls through the
  unwind labels (the 6.19 double free; e98137f0a874 is not in the branch);
* ``pal-revoked`` now also takes ``kref_get()`` on a count of 0.

iommufd's revoke notification gives the PAL list back
(``dma_buf_pal_unmap_phys()``; the branch's pages.c, 12e7f38a26d8), which
is what lets a revoke finish.  The same pages.c pins the buffer when it
maps, takes a PAL list of any length, and unpins at release after dropping
the reservation lock (``iommufd-unpin-lock``; see
:mod:`dmabuf_lab.drivers.iommufd.mapping_types_2026_03`).  The variant ``fix-vfio-match-lock`` is the
lock fix Jason sent inline on the list on 2026-04-13
(<20260413130147.GG2588311@nvidia.com>), after Baolu Lu's report: vfio
takes its own ``pci_dev`` reference at export and ``match_mapping`` uses it
without the assertion and without the ``priv->vdev`` test.

xe (``xe-sgt-p2p-dead-config``, read in jgunthorpe/linux 169394c2e408): the
branch's core has 609fc8766d68's form, which deletes
CONFIG_DMABUF_MOVE_NOTIFY, yet ``xe_dma_buf_match_mapping()`` still lists
SGT_P2P only under ``IS_ENABLED(CONFIG_DMABUF_MOVE_NOTIFY)``, now always 0:
the branch's xe never offers SGT_P2P, so a P2P importer gets system pages
and a BO that cannot leave VRAM matches nothing (-EINVAL).  The fix lists
SGT_P2P unconditionally.  See :mod:`dmabuf_lab.drivers.xe.mapping_types_2026_03`.

Sources: ``docs/sources.md`` [mapping-types-branch].
"""
from __future__ import annotations

from dmabuf_lab.revisions.base import Revision
from dmabuf_lab.revisions.mapping_types_2026_02 import *  # noqa: F401,F403  (the RFC's core code)

REVISION = Revision(
    name="mapping-types-2026-03",
    module="mapping_types_2026_03",
    title="DMA-buf mapping types, rebased branch (2026-03)",
    date="2026-03-01",
    source="mapping-types-branch",
    patch="dmabuf_map_type branch rebased onto drm-misc-next, <20260301190543.GA768004@nvidia.com>",
    bugs={
        "vfio-match-lock": "vfio_pci_dma_buf_match_mapping() asserts the resv lock; attach does not hold "
                           "it (lock fix sent inline on 2026-04-13: own pci_dev reference, no assertion)",
        "dynamic-attach-null-ops": "dma_buf_sgt_dynamic_attach() dereferences importer_ops without a NULL check",
        "pal-revoked": "vfio's PAL map_phys() does not check priv->revoked (and takes kref_get() on the "
                       "count a revoke left at 0)",
        "sgt-helper": "dma_buf_phys_vec_to_sgt()/dma_buf_free_sgt() as merged in 6.19 (leaks the sg chunk)",
        "cleanup-after-revoke": "vfio_pci_dma_buf_cleanup() puts the kref and waits for the completion of a "
                                "buffer a revoke already drained: refcount underflow, the close never "
                                "returns (mainline's shape of the fix: c64a647c84f3)",
        "fd-error-put": "a failing dma_buf_fd() falls through the unwind labels after dma_buf_put() "
                        "(the 6.19 double free; e98137f0a874 is not in the branch)",
        "xe-sgt-p2p-dead-config": "xe_dma_buf_match_mapping() offers SGT_P2P only under "
                                  "IS_ENABLED(CONFIG_DMABUF_MOVE_NOTIFY), a symbol the branch deleted",
        "iommufd-unpin-lock": "iopt_release_pages() calls dma_buf_unpin() after dropping the reservation "
                              "lock it asserts (mainline's fix of the same shape: e745cd2c749e)",
    },
    fixed_upstream={"xe-match-len": "the rebased branch passes num_match"},
)
