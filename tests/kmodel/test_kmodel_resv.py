from dmabuf_lab.kmodel import (EALREADY, WARN, WARN_ON, WARN_ON_ONCE, Kernel, dma_resv,
                               dma_resv_assert_held, dma_resv_held, dma_resv_lock,
                               dma_resv_trylock, dma_resv_unlock, might_sleep, spin_lock,
                               spin_unlock, spinlock_t, ww_acquire_ctx, ww_acquire_fini)


def kinds(k):
    return [f.kind for f in k.findings]


def test_locked_path_is_clean():
    resv = dma_resv()
    with Kernel() as k:
        assert dma_resv_lock(resv) == 0
        assert dma_resv_held(resv)
        dma_resv_assert_held(resv)
        might_sleep()                  # a mutex holder may sleep
        dma_resv_unlock(resv)
        assert not dma_resv_held(resv)
    assert k.findings == []


def test_missing_lock_is_a_lock_finding():
    resv = dma_resv("buf")
    with Kernel() as k:
        dma_resv_assert_held(resv)
    assert kinds(k) == ["lock"]
    assert k.findings[0].site.endswith("test_missing_lock_is_a_lock_finding")


def test_double_lock_unlock_and_held_at_end():
    resv = dma_resv()
    with Kernel() as k:
        dma_resv_unlock(resv)          # not held
        dma_resv_lock(resv)
        dma_resv_lock(resv)            # self-deadlock
        assert not dma_resv_trylock(resv)
    # the third finding: still held when the run ended
    assert kinds(k) == ["lock", "lock", "lock"]


def test_ww_context_reacquire_is_ealready():
    resv, ctx = dma_resv(), ww_acquire_ctx()
    with Kernel() as k:
        assert dma_resv_lock(resv, ctx) == 0
        assert dma_resv_lock(resv, ctx) == -EALREADY
        dma_resv_unlock(resv)
        ww_acquire_fini(ctx)
    assert k.findings == [] and EALREADY == 114


def test_might_sleep_under_spinlock():
    lock = spinlock_t("xa_lock")
    resv = dma_resv()
    with Kernel() as k:
        spin_lock(lock)
        might_sleep()
        dma_resv_lock(resv)            # mutex under a spinlock
        dma_resv_unlock(resv)
        spin_unlock(lock)
        might_sleep()                  # fine again
        spin_unlock(lock)              # not held
    assert kinds(k) == ["warn", "warn", "lock"]


def test_warn_on_returns_condition():
    with Kernel() as k:
        assert WARN_ON(3 > 2, "three") is True
        assert WARN_ON(0) is False
        assert WARN(1, "bad %d", 7) is True
        for _ in range(3):
            assert WARN_ON_ONCE([1]) is True
        assert WARN_ON_ONCE(None) is False
    assert kinds(k) == ["warn", "warn", "warn"]
    assert [f.message for f in k.findings] == ["three", "bad 7", "WARN_ON_ONCE"]
