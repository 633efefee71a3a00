"""drivers/gpu/drm/drm_prime.c as xe's ops use it under the get_pfn RFC (unchanged from 6.19)."""
from __future__ import annotations

from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.common import xe_bo_release
from dmabuf_lab.twins import mirrors


@mirrors("posting:get-pfn-rfc#1/12:drivers/gpu/drm/drm_prime.c:drm_gem_dmabuf_release", gap="the get_pfn RFC adds the callback to the core and vfio only; xe's is the lab's, written to its contract")
def xe_dma_buf_release(dmabuf) -> None:
    """Last reference gone: drop the BO."""
    xe_bo_release(dmabuf.priv)
