"""drivers/gpu/drm/drm_prime.c as xe's ops use it in the 2026-02 mapping-types RFC."""
from __future__ import annotations

from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.common import xe_bo_release
from dmabuf_lab.twins import mirrors


@mirrors("posting:mapping-types-rfc:drivers/gpu/drm/drm_prime.c:drm_gem_dmabuf_release", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def xe_dma_buf_release(dmabuf) -> None:
    """Last reference gone: drop the BO."""
    xe_bo_release(dmabuf.priv)
