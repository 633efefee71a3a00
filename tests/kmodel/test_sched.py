"""Cooperative model threads: blocking locks, deadlock reports and the lockdep edges."""
from __future__ import annotations


from dmabuf_lab.kmodel import Kernel, dma_resv, dma_resv_assert_held, dma_resv_lock, dma_resv_unlock
from dmabuf_lab.kmodel.completion import completion, complete, wait_for_completion
from dmabuf_lab.kmodel.mutex import mutex, mutex_lock, mutex_unlock
from dmabuf_lab.kmodel.sched import Scheduler, independent
from dmabuf_lab.litmus.races import _deadlock, _lock_cycle


def _run(sched, order):
    """Run thread ids from ``order`` while runnable, then any runnable one; stop when stuck."""
    sched.start()
    order = list(order)
    while not sched.finished():
        en = sched.enabled()
        if not en:
            return False
        tid = order.pop(0) if order and order[0] in en else en[0]
        sched.step(tid)
    return True


def test_opposite_lock_order_deadlocks_with_a_cycle():
    a, b = mutex("a"), mutex("b")

    def t0():
        mutex_lock(a); mutex_lock(b); mutex_unlock(b); mutex_unlock(a)

    def t1():
        mutex_lock(b); mutex_lock(a); mutex_unlock(a); mutex_unlock(b)

    with Kernel():
        s = Scheduler()
        s.spawn("t0", t0)
        s.spawn("t1", t1)
        finished = _run(s, [0, 1])           # each takes its first lock
        msg = _deadlock(s)
        edges = dict(s.lock_edges)
        s.close()
    assert not finished
    assert msg.startswith("wait-for cycle: ") and "mutex_lock(a)" in msg and "mutex_lock(b)" in msg


def test_same_order_finishes_and_records_no_inversion():
    a, b = mutex("a"), mutex("b")

    def body():
        mutex_lock(a); mutex_lock(b); mutex_unlock(b); mutex_unlock(a)

    with Kernel() as k:
        s = Scheduler()
        s.spawn("t0", body)
        s.spawn("t1", body)
        assert _run(s, [0, 1, 0, 1])
        s.close()
    assert _lock_cycle(s.lock_edges) is None and k.findings == []


def test_a_wait_nobody_completes_is_reported_as_never_finishing():
    c = completion("c")
    with Kernel():
        s = Scheduler()
        s.spawn("waiter", lambda: wait_for_completion(c))
        s.spawn("other", lambda: None)
        assert not _run(s, [])
        msg = _deadlock(s)
        s.close()
    assert "never finishes" in msg and "wait_for_completion" in msg


def test_complete_wakes_the_waiter():
    c = completion("c")
    with Kernel():
        s = Scheduler()
        s.spawn("waiter", lambda: wait_for_completion(c))
        s.spawn("completer", lambda: complete(c))
        assert _run(s, [0])
        s.close()


def test_assert_held_fails_for_a_lock_another_thread_holds():
    r = dma_resv("r")

    def holder():
        dma_resv_lock(r)
        dma_resv_unlock(r)

    def checker():
        s.point("read", ("flag", 0), False, "read a shared flag")   # a point before the assertion
        dma_resv_assert_held(r)

    with Kernel() as k:
        s = Scheduler()
        s.spawn("holder", holder)
        s.spawn("checker", checker)
        s.start()                    # holder parks at its lock, checker at its read
        s.step(0)                    # holder takes the lock, parks before the unlock
        s.step(1)                    # checker asserts (no point after its read) and finishes
        while not s.finished():
            s.step(s.enabled()[0])
        s.close()
    assert [f.kind for f in k.findings] == ["lock"] and "another thread" in k.findings[0].message


def test_independence():
    from dmabuf_lab.kmodel.sched import Op
    r1 = Op("read", ("x", 1), False, "r")
    w1 = Op("write", ("x", 1), True, "w")
    w2 = Op("write", ("y", 1), True, "w")
    assert independent(r1, r1) and independent(w1, w2) and not independent(r1, w1)


def test_an_op_that_touches_several_objects_depends_on_a_write_of_any():
    from dmabuf_lab.kmodel.sched import Op
    dma = Op("read", ("dev", 1), False, "DMA", also=((("tree", 1), False),))
    release = Op("write", ("tree", 1), True, "release")
    lookup = Op("read", ("tree", 1), False, "owner")
    other = Op("write", ("fence", 1), True, "signal")
    decode_off = Op("write", ("dev", 1), True, "decode off")
    assert not independent(dma, release) and not independent(release, dma)
    assert not independent(dma, decode_off)
    assert independent(dma, lookup) and independent(dma, other) and independent(dma, dma)


def test_an_op_with_further_objects_survives_json():
    from dmabuf_lab.kmodel.sched import Op
    op = Op("read", ("dev", 1), False, "DMA", "dma_access", also=((("tree", 1), False),))
    assert Op.from_dict(op.to_dict()) == op
    plain = Op("write", ("x", 2), True, "w")
    assert "also" not in plain.to_dict() and Op.from_dict(plain.to_dict()) == plain


def test_closing_a_run_unwinds_a_thread_parked_inside_try_finally():
    """The ``finally`` that drops a lock announces the unlock again while the run is
    being aborted; the thread must unwind instead of parking for a step that never comes."""
    a = mutex("a")
    reached = []

    def body():
        mutex_lock(a)
        try:
            mutex_lock(mutex("b"))
            reached.append("never")
        finally:
            mutex_unlock(a)

    with Kernel():
        s = Scheduler()
        t = s.spawn("t0", body)
        s.start()
        s.step(0)                       # takes a, parks before taking b
        assert not t.done
        s.abort()
        assert t.done, "abort() came back with the thread parked again in its finally"
        s.close()
    assert t.done and reached == [] and t.error is None
