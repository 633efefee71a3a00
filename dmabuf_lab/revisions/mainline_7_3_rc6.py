"""Mainline dma-buf as of v7.3-rc6 (``mainline-7.3-rc6``, alias ``mainline``), a patch over 7.2.

What changed since :mod:`dmabuf_lab.revisions.mainline_7_2`:

* 06dd5e1ae8ce "dma-buf: Split sgl by largest page-aligned chunk" and
  b344ca94e8cc "dma-buf: Fix silent overflow for phys vec to sgt"
  (drm-fixes, September 2026): dma-buf-mapping.c is the 7.3 file
  (:mod:`dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.common`, ``release="7.3"``, chosen by
  :func:`dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.common.helper_release`);
* 143755bdabaa (a Kconfig default) is not modelled; the vfio-v7.3-rc1 pull
  a625b2a38762 was not read: vfio runs as in 7.2.

Files as read for 7.3-rc6 (``data/mainline_releases.toml``): dma-buf.c at
intel-lab-lkp/linux 02f9ac5589e4, dma-buf-mapping.c at torvalds/linux
0b9828c7231e, vfio_pci_dmabuf.c at gregkh/linux 2519003dd5fb, xe_dma_buf.c
at gregkh/linux 827062952ed9, uverbs_std_types_dmabuf.c at torvalds/linux
311aa68319f6; pages.c, vfio_pci_core.c, vfio_pci_config.c and
umem_dmabuf.c not read.

Bugs the model shows in 7.3-rc6:

``sgt-helper``
    the 7.3 helper still hands out ``orig_nents = 0`` (so sg_free_table()
    frees nothing) and links every range at IOVA offset 0; the length wrap
    and the unaligned entries are gone.
``uverbs-dmabuf-release``
    the RDMA uverbs dma-buf's release op, as in 7.1 (no later commit to
    uverbs_std_types_dmabuf.c is known to change it).

Sources: ``docs/sources.md`` [mainline-7.3-rc6], [mainline-releases].
"""
from __future__ import annotations

import dataclasses

from dmabuf_lab.revisions.mainline_7_2 import REVISION as MAINLINE_7_2

REVISION = dataclasses.replace(
    MAINLINE_7_2,
    name="mainline-7.3-rc6",
    module="mainline_7_3_rc6",
    title="Mainline dma-buf (Linux v7.3-rc6)",
    date="2026-10",
    source="mainline-7.3-rc6",
    patch="Linux v7.3-rc6: 7.2 plus 06dd5e1ae8ce and b344ca94e8cc (drivers/dma-buf/dma-buf-mapping.c)",
    bugs={"sgt-helper": "dma_buf_phys_vec_to_sgt()/dma_buf_free_sgt() as in 7.3: orig_nents = 0 leaks "
                        "the sg chunk, every range linked at IOVA offset 0",
          "uverbs-dmabuf-release": MAINLINE_7_2.bugs["uverbs-dmabuf-release"]},
)
