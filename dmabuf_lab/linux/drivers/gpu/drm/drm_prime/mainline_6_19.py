"""drivers/gpu/drm/drm_prime.c as xe's 6.19 ops use it: the dma-buf release op, reduced to dropping the BO."""
from __future__ import annotations

from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.common import xe_bo_release
from dmabuf_lab.twins import mirrors


@mirrors("torvalds/linux@4f9786035f9e:drivers/gpu/drm/drm_prime.c:drm_gem_dmabuf_release", gap="the release op xe_dmabuf_ops names at this commit, reduced to dropping the BO; drm_prime.c itself not re-read", revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def xe_dma_buf_release(dmabuf) -> None:
    """Last reference gone: drop the BO."""
    xe_bo_release(dmabuf.priv)
