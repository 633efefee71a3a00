"""The class-order check: cycles across paths and threads, classes, trylock, might_lock,
and the end of a mutex's life."""
from __future__ import annotations

from dmabuf_lab.kmodel import Kernel, dma_resv, dma_resv_lock, dma_resv_trylock, dma_resv_unlock
from dmabuf_lab.kmodel.lockdep import lock_edges, lockdep_set_class, might_lock_read
from dmabuf_lab.kmodel.mutex import mutex, mutex_destroy, mutex_lock, mutex_unlock
from dmabuf_lab.kmodel.rwsem import down_read, rw_semaphore, up_read


def _lock_findings(k):
    return [f for f in k.findings if f.kind == "lock"]


def test_ab_then_ba_in_one_thread_is_a_cycle_without_a_deadlock():
    a, b = mutex("a"), mutex("b")
    with Kernel() as k:
        mutex_lock(a); mutex_lock(b); mutex_unlock(b); mutex_unlock(a)
        assert k.findings == []
        mutex_lock(b); mutex_lock(a); mutex_unlock(a); mutex_unlock(b)
    found = _lock_findings(k)
    assert len(found) == 1
    assert "circular locking dependency" in found[0].message
    assert "a -> b" in found[0].message and "b -> a" in found[0].message


def test_same_order_twice_is_clean():
    a, b = mutex("a"), mutex("b")
    with Kernel() as k:
        for _ in range(2):
            mutex_lock(a); mutex_lock(b); mutex_unlock(b); mutex_unlock(a)
    assert k.findings == []
    assert set(lock_edges(k)) == {("a", "b")}


def test_three_class_cycle_is_closed_by_the_last_edge():
    a, b, c = mutex("a"), mutex("b"), mutex("c")
    with Kernel() as k:
        mutex_lock(a); mutex_lock(b); mutex_unlock(b); mutex_unlock(a)
        mutex_lock(b); mutex_lock(c); mutex_unlock(c); mutex_unlock(b)
        assert k.findings == []
        mutex_lock(c); mutex_lock(a); mutex_unlock(a); mutex_unlock(c)
    found = _lock_findings(k)
    assert len(found) == 1
    for edge in ("a -> b", "b -> c", "c -> a"):
        assert edge in found[0].message


def test_a_split_class_breaks_the_cycle():
    a1, a2, b = mutex("a"), mutex("a"), mutex("b")
    lockdep_set_class(a2, "a_other")
    with Kernel() as k:
        mutex_lock(a1); mutex_lock(b); mutex_unlock(b); mutex_unlock(a1)
        mutex_lock(b); mutex_lock(a2); mutex_unlock(a2); mutex_unlock(b)
    assert k.findings == []


def test_two_locks_of_one_class_add_no_edge_and_trylock_adds_none():
    r1, r2 = dma_resv("r1"), dma_resv("r2")
    m = mutex("m")
    with Kernel() as k:
        dma_resv_lock(r1); dma_resv_lock(r2); dma_resv_unlock(r2); dma_resv_unlock(r1)
        mutex_lock(m)
        assert dma_resv_trylock(r1)
        dma_resv_unlock(r1)
        mutex_unlock(m)
        dma_resv_lock(r1); mutex_lock(m); mutex_unlock(m); dma_resv_unlock(r1)
    assert k.findings == []
    assert set(lock_edges(k)) == {("reservation_ww_class_mutex", "m")}


def test_might_lock_read_counts_like_taking_the_lock():
    mm = rw_semaphore("mmap_lock")
    m = mutex("m")
    with Kernel() as k:
        down_read(mm); mutex_lock(m); mutex_unlock(m); up_read(mm)
        mutex_lock(m)
        might_lock_read(mm)
        mutex_unlock(m)
    found = _lock_findings(k)
    assert len(found) == 1 and "mmap_lock -> m" in found[0].message and "m -> mmap_lock" in found[0].message


def test_each_run_has_its_own_graph():
    a, b = mutex("a"), mutex("b")
    with Kernel():
        mutex_lock(a); mutex_lock(b); mutex_unlock(b); mutex_unlock(a)
    with Kernel() as k:
        mutex_lock(b); mutex_lock(a); mutex_unlock(a); mutex_unlock(b)
    assert k.findings == []


def test_taking_a_destroyed_mutex_is_a_use_after_free():
    m = mutex("m")
    with Kernel() as k:
        mutex_lock(m); mutex_unlock(m)
        assert k.findings == []
        mutex_destroy(m)
        mutex_lock(m)
        mutex_unlock(m)
    kinds = [f.kind for f in k.findings]
    assert kinds == ["use-after-free", "use-after-free"]
    assert "mutex_destroy" in k.findings[0].message


def test_destroying_a_locked_mutex_warns():
    m = mutex("m")
    with Kernel() as k:
        mutex_lock(m)
        mutex_destroy(m)
    assert [f.kind for f in k.findings] == ["warn"]


def test_lockdep_assert_held_on_a_mutex():
    from dmabuf_lab.kmodel.mutex import mutex_lockdep_assert_held
    m = mutex("m")
    with Kernel() as k:
        mutex_lock(m)
        mutex_lockdep_assert_held(m)
        mutex_unlock(m)
        assert k.findings == []
        mutex_lockdep_assert_held(m)
    assert [f.kind for f in k.findings] == ["lock"] and "not held" in k.findings[0].message
