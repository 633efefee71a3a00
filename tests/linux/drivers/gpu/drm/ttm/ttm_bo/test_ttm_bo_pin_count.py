"""ttm_bo_pin()/ttm_bo_unpin(): the pin count, and the WARN of an unpin with none left."""
from dmabuf_lab.kmodel import Kernel, dma_resv, dma_resv_lock, dma_resv_unlock
from dmabuf_lab.linux.drivers.gpu.drm.ttm.ttm_bo.mainline_6_19 import ttm_bo_pin, ttm_bo_unpin


class bo:
    def __init__(self, resv=None):
        self.pin_count = 0
        self.resv = resv


def test_pins_and_unpins_balance_without_a_finding():
    b = bo()
    with Kernel(name="ttm-balanced") as k:
        ttm_bo_pin(b)
        ttm_bo_pin(b)
        ttm_bo_unpin(b)
        ttm_bo_unpin(b)
    assert b.pin_count == 0
    assert k.findings == []


def test_an_unpin_with_nothing_pinned_warns_once_and_leaves_zero():
    b = bo()
    with Kernel(name="ttm-underflow") as k:
        ttm_bo_pin(b)
        ttm_bo_unpin(b)
        ttm_bo_unpin(b)
        ttm_bo_unpin(b)
    assert b.pin_count == 0
    assert [f.kind for f in k.findings] == ["warn"]
    assert "pin_count is 0" in k.findings[0].message


def test_the_reservation_lock_is_asserted_when_the_bo_has_one():
    resv = dma_resv()
    b = bo(resv)
    with Kernel(name="ttm-unlocked") as k:
        ttm_bo_pin(b)
    assert "lock" in {f.kind for f in k.findings}
    with Kernel(name="ttm-locked") as k2:
        dma_resv_lock(resv)
        ttm_bo_pin(b)
        ttm_bo_unpin(b)
        dma_resv_unlock(resv)
    assert k2.findings == []
