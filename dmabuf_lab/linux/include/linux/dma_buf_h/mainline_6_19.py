"""include/linux/dma-buf.h as in Linux 6.19: the inline tests of a dynamic importer and a dynamic buffer."""
from __future__ import annotations

from dmabuf_lab.twins import mirrors


@mirrors("gregkh/linux@73e7709d9919:include/linux/dma-buf.h:dma_buf_attachment_is_dynamic", gap="no stored copy at v6.19: read in a 7.0-cycle tree before the revoke series, whose code here matches 6.19", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_buf_attachment_is_dynamic(attach) -> bool:
    """True when the importer gave importer_ops, i.e. handles move_notify."""
    return attach.importer_ops is not None


@mirrors("gregkh/linux@73e7709d9919:include/linux/dma-buf.h:dma_buf_is_dynamic", gap="no stored copy at v6.19: read in a 7.0-cycle tree before the revoke series, whose code here matches 6.19", revisions=("get-pfn",))
def dma_buf_is_dynamic(dmabuf) -> bool:
    """A buffer is dynamic when its exporter supports pin/unpin."""
    return dmabuf.ops.pin is not None
