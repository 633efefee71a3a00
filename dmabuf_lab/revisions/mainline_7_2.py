"""Mainline dma-buf as of Linux 7.2 (``mainline-7.2``), a patch over 7.1.

What changed since :mod:`dmabuf_lab.revisions.mainline_7_1`:

* e745cd2c749e "iommufd: Take dma_resv lock before dma_buf_unpin() in
  release path": 7.1's ``iommufd-unpin-lock`` is fixed in every variant
  (:mod:`dmabuf_lab.drivers.iommufd.mainline_7_2`);
* f2d70dbd3dce "iommufd: Destroy the pages content after detaching from
  dmabuf" (CVE-2026-74328) and 5f3fc0ad9a41 "iommufd: Reject DMABUF pages
  from the access pin path": in
  :mod:`dmabuf_lab.linux.drivers.iommu.iommufd.pages.mainline_7_2`;
* 859dc0f6253b (vfio's export check through vfio_pci_core_get_iomap(),
  same errno) is not modelled here yet: vfio runs as 7.1.

dma-buf-mapping.c is still the 6.19 file (the two helper fixes came in 7.3).

Files as read for 7.2 (``data/mainline_releases.toml``): dma-buf.c at
intel-lab-lkp/linux 02f9ac5589e4, dma-buf-mapping.c at torvalds/linux
b703b31ea8cd, vfio_pci_dmabuf.c at gregkh/linux 2519003dd5fb, xe_dma_buf.c
at gregkh/linux 827062952ed9, uverbs_std_types_dmabuf.c at torvalds/linux
311aa68319f6; pages.c, vfio_pci_core.c, vfio_pci_config.c and
umem_dmabuf.c not read.

Bugs the model shows in 7.2:

``sgt-helper``
    the 6.19 ``dma_buf_phys_vec_to_sgt()`` / ``dma_buf_free_sgt()``, as in
    7.1: the sg chunk leaks, IOVA offset 0, lengths wrap past 4 GiB,
    entries of UINT_MAX bytes.
``uverbs-dmabuf-release``
    the RDMA uverbs dma-buf's release op, as in 7.1.

Sources: ``docs/sources.md`` [mainline-7.2], [mainline-releases].
"""
from __future__ import annotations

import dataclasses

from dmabuf_lab.revisions.mainline_7_1 import REVISION as MAINLINE_7_1

REVISION = dataclasses.replace(
    MAINLINE_7_1,
    name="mainline-7.2",
    module="mainline_7_2",
    title="Mainline dma-buf (Linux 7.2)",
    date="2026-08",
    source="mainline-7.2",
    patch="Linux 7.2: 7.1 plus e745cd2c749e (drivers/iommu/iommufd/pages.c)",
    bugs={"sgt-helper": MAINLINE_7_1.bugs["sgt-helper"],
          "uverbs-dmabuf-release": MAINLINE_7_1.bugs["uverbs-dmabuf-release"]},
    fixed_upstream={"iommufd-unpin-lock": "e745cd2c749e"},
)
