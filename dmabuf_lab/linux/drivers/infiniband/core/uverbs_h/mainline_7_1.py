"""drivers/infiniband/core/uverbs.h as in Linux 7.1: the completion a dma-buf revoke waits on."""
from __future__ import annotations

from dmabuf_lab.kmodel.completion import complete, kref
from dmabuf_lab.linux.drivers.infiniband.core.rdma_core.mainline_7_1 import RUN_BY
from dmabuf_lab.twins import mirrors


_PIN = "torvalds/linux@311aa68319f6:drivers/infiniband/core/uverbs.h"


@mirrors(f"{_PIN}:ib_uverbs_dmabuf_done", gap="the header as the 0ac6f4056c4a patch adds it; "
         "the tree's copy of uverbs.h was not re-read", revisions=RUN_BY)
def ib_uverbs_dmabuf_done(r: kref) -> None:
    """The last reference of the export's kref: wake the revoke waiting for the unmaps."""
    complete(r.container.comp)
