"""drivers/gpu/drm/xe/xe_bo.h: the inline BO helpers the exporter and the PF config call.

``xe_bo_get`` / ``xe_bo_put`` count references on a VF's LMEM object (RFC v1's
translation takes them) so that a reference nobody drops can be reported.
"""
from __future__ import annotations

from dmabuf_lab.twins import mirrors


XE_GAP = "a gregkh/linux stable-line copy, not the v6.19 tag; these paths match 6.19 and 7.x"


@mirrors("gregkh/linux@362f34fba309:drivers/gpu/drm/xe/xe_bo.h:xe_bo_is_pinned", gap=XE_GAP,
         revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def xe_bo_is_pinned(bo: xe_bo) -> bool:
    """Whether anything holds a pin on the BO (TTM's pin_count)."""
    return bo.pin_count > 0


@mirrors("torvalds/linux@4f9786035f9e:drivers/gpu/drm/xe/xe_bo.h:xe_bo_get", gap="called from xe_dma_buf.c at this commit, which was read; this file itself was not", revisions=("rfc-v1",))
def xe_bo_get(obj):
    """Take a reference on a BO (here: a VF's LMEM object); NULL stays NULL."""
    if obj is not None:
        obj.xe_refs = getattr(obj, "xe_refs", 0) + 1
    return obj


@mirrors("torvalds/linux@4f9786035f9e:drivers/gpu/drm/xe/xe_bo.h:xe_bo_put", gap="called from xe_dma_buf.c at this commit, which was read; this file itself was not", revisions=("rfc-v1",))
def xe_bo_put(obj) -> None:
    """Drop a reference taken with :func:`xe_bo_get`."""
    if obj is not None:
        obj.xe_refs = getattr(obj, "xe_refs", 0) - 1
