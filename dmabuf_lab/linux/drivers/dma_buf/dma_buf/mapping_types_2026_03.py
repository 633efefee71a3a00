"""drivers/dma-buf/dma-buf.c in the March 2026 mapping-types branch: what it adds over the 2026-02 RFC's core (the revocable test)."""
from __future__ import annotations

from dmabuf_lab.twins import mirrors


@mirrors("jgunthorpe/linux@169394c2e408:drivers/dma-buf/dma-buf.c:dma_buf_attach_revocable")
def dma_buf_attach_revocable(attach) -> bool:
    """be6d4c9e9d71's test as the branch's core has it: the importer has the
    notification (``invalidate_mappings``, the lab's RFC core calls it ``move_notify``)."""
    ops = attach.importer_ops
    return ops is not None and ops.move_notify is not None
