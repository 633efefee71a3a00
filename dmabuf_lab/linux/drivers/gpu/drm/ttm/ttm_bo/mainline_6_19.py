"""TTM's pin count as Linux 6.19 keeps it (drivers/gpu/drm/ttm/ttm_bo.c).

A BO carries ``pin_count``: ``ttm_bo_pin()`` adds one, ``ttm_bo_unpin()``
drops one.  An unpin with nothing pinned is a refcount underflow the C
catches itself: it WARNs once and returns without touching the count.  The
LRU bookkeeping around the count (bulk move, LRU tail) is not modelled.

Read in gregkh/linux 0124a09e3e5f, a stable-line copy; nothing on this path
changed between 6.19 and the 7.x releases the lab models, so every release
runs these twins.
"""
from __future__ import annotations

from dmabuf_lab.kmodel import WARN_ON_ONCE, dma_resv_assert_held
from dmabuf_lab.twins import mirrors

TTM_BO_C = "gregkh/linux@0124a09e3e5f:drivers/gpu/drm/ttm/ttm_bo.c"
TTM_GAP = "a gregkh/linux stable-line copy, not the v6.19 tag; the pin count code is the same in 6.19 and 7.x"
#: The lab revisions whose xe exporter pins through these twins.
TTM_REVISIONS = ("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2",
                 "mainline-7.3-rc6")


def _resv_of(bo):
    """``bo->base.resv`` when the model BO knows it (an exported xe BO shares the dma-buf's)."""
    return getattr(bo, "resv", None)


@mirrors(f"{TTM_BO_C}:ttm_bo_pin", gap=TTM_GAP, revisions=TTM_REVISIONS)
def ttm_bo_pin(bo) -> None:
    """Take one pin (resv held): the BO may no longer be evicted or moved."""
    resv = _resv_of(bo)
    if resv is not None:
        dma_resv_assert_held(resv)
    bo.pin_count += 1


@mirrors(f"{TTM_BO_C}:ttm_bo_unpin", gap=TTM_GAP, revisions=TTM_REVISIONS)
def ttm_bo_unpin(bo) -> None:
    """Drop one pin (resv held); with none left, WARN once and leave the count at zero."""
    resv = _resv_of(bo)
    if resv is not None:
        dma_resv_assert_held(resv)
    if WARN_ON_ONCE(not bo.pin_count, "ttm_bo_unpin: unpin of a BO whose pin_count is 0 (refcount underflow)"):
        return
    bo.pin_count -= 1
