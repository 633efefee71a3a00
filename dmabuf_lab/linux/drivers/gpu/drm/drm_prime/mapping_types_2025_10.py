"""drivers/gpu/drm/drm_prime.c as xe's ops use it in the October 2025 mapping-types design."""
from __future__ import annotations

from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.common import xe_bo_release
from dmabuf_lab.twins import mirrors


@mirrors("posting:mapping-types-design:drivers/gpu/drm/drm_prime.c:drm_gem_dmabuf_release", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def xe_dma_buf_release(dmabuf) -> None:
    """Last reference gone: drop the BO."""
    xe_bo_release(dmabuf.priv)
