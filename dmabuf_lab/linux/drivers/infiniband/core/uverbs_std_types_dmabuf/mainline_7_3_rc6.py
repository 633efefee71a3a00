"""The uverbs dma-buf exporter of 7.3-rc6: the 7.1 file over the 7.3 mapping helper.

No commit to drivers/infiniband/core/uverbs_std_types_dmabuf.c after 7.1 is
known; what changes is the helper its map calls.  06dd5e1ae8ce "dma-buf:
Split sgl by largest page-aligned chunk" and b344ca94e8cc "dma-buf: Fix
silent overflow for phys vec to sgt" reach this exporter through
dma_buf_phys_vec_to_sgt() (``release="7.3"``).  Everything else is
:mod:`.mainline_7_1`'s.
"""
from __future__ import annotations

from dmabuf_lab.linux.drivers.infiniband.core.uverbs_std_types_dmabuf import mainline_7_1 as _71
from dmabuf_lab.linux.drivers.infiniband.core.uverbs_std_types_dmabuf.mainline_7_1 import (  # noqa: F401
    uverbs_dmabuf_attach, uverbs_dmabuf_fd_destroy_uobj, uverbs_dmabuf_pin, uverbs_dmabuf_release,
    uverbs_dmabuf_unmap, uverbs_dmabuf_unpin, uverbs_method_dmabuf_alloc)
from dmabuf_lab.twins import mirrors

#: The helper state of 7.3-rc6's dma-buf-mapping.c (torvalds/linux 0b9828c7231e).
HELPER_RELEASE = "7.3"
#: The release whose map this is.
RUN_BY_73 = ("mainline-7.3-rc6",)


@mirrors("torvalds/linux@311aa68319f6:drivers/infiniband/core/uverbs_std_types_dmabuf.c:uverbs_dmabuf_map",
         gap="the file unchanged since 7.0 as far as the lab knows; its callee dma_buf_phys_vec_to_sgt() "
             "is 7.3's (06dd5e1ae8ce, b344ca94e8cc)", revisions=RUN_BY_73)
def uverbs_dmabuf_map(attachment, direction: int, *, faithful: bool = True):
    """7.1's map, calling the 7.3 helper."""
    return _71._map(attachment, direction, faithful, HELPER_RELEASE)


uverbs_dmabuf_ops, uverbs_dmabuf_ops_fixed = _71._ops_pair(uverbs_dmabuf_map, uverbs_dmabuf_unmap, "7.3-rc6")
