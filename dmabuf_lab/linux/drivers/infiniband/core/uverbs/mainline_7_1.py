"""struct ib_uverbs_dmabuf_file and its kref release (drivers/infiniband/core/uverbs.h).

Added for 7.0 by 0ac6f4056c4a "RDMA/uverbs: Add DMABUF object type and
operations"; unchanged up to 7.3-rc6 as far as the lab knows.  The object
is the uverbs fd object behind one exported dma-buf: its uobject first, the
dma-buf, the mmap entry it was cut from, one physical range and its P2P
provider, and the revoke state (``revoked``, a kref of 1 plus one per live
mapping, a completion its last put signals).
"""
from __future__ import annotations

from dmabuf_lab.addr import phys_vec
from dmabuf_lab.kmodel import kstruct
from dmabuf_lab.kmodel.completion import complete, completion, kref
from dmabuf_lab.linux.drivers.infiniband.core.rdma_core.mainline_7_1 import RUN_BY, ib_uobject
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.infiniband.core.uverbs_h.mainline_7_1 import ib_uverbs_dmabuf_done, _PIN  # noqa: F401


class ib_uverbs_dmabuf_file(kstruct):
    """One exported uverbs dma-buf.  ``revoked`` is written by revoke and read by map
    (both under the reservation lock) and by the destroy: announced in concurrent runs."""

    fields = (("uobj", ib_uobject), "dmabuf", "mmap_entry", ("phys_vec", phys_vec), "provider",
              ("kref", kref), ("comp", completion), ("revoked", False))
    shared = ("revoked",)


