"""kref as refcount_t: a misuse WARNs and saturates, and a saturated object is never
released, so whoever waits for its release waits for ever (include/linux/refcount.h)."""
from __future__ import annotations

from dmabuf_lab.kmodel import Kernel
from dmabuf_lab.kmodel.completion import (REFCOUNT_SATURATED, completion, complete, kref, kref_get,
                                          kref_init, kref_put, wait_for_completion)


def _released(log):
    return lambda r: log.append(r)


def test_get_and_put_release_once_at_zero():
    log = []
    r = kref("r")
    with Kernel() as k:
        kref_init(r)
        kref_get(r)
        assert kref_put(r, _released(log)) == 0 and r.refcount == 1
        assert kref_put(r, _released(log)) == 1 and log == [r] and r.refcount == 0
    assert k.findings == []


def test_get_on_zero_warns_and_saturates():
    r = kref("r")
    with Kernel() as k:
        kref_get(r)
    assert [f.kind for f in k.findings] == ["warn"]
    assert "addition on 0; use-after-free" in k.findings[0].message
    assert r.refcount == REFCOUNT_SATURATED


def test_put_on_zero_warns_saturates_and_releases_nothing():
    log = []
    r = kref("r")
    with Kernel() as k:
        assert kref_put(r, _released(log)) == 0
    assert log == [] and r.refcount == REFCOUNT_SATURATED
    assert [f.kind for f in k.findings] == ["warn"] and "underflow" in k.findings[0].message


def test_a_saturated_count_stays_saturated_and_is_never_released():
    log = []
    r = kref("r")
    with Kernel() as k:
        kref_get(r)                       # addition on 0: saturated
        kref_get(r)                       # saturated; leaking memory
        for _ in range(3):
            assert kref_put(r, _released(log)) == 0
    assert log == [] and r.refcount == REFCOUNT_SATURATED
    messages = [f.message for f in k.findings]
    assert any("saturated; leaking memory" in m for m in messages)
    assert sum("underflow" in m for m in messages) == 3


def test_a_release_that_never_comes_leaves_the_waiter_hanging():
    """The shape of a revoke that waits for the last put of a saturated kref."""
    c = completion("c")
    r = kref("r")
    with Kernel() as k:
        kref_init(r)
        kref_put(r, lambda _: complete(c))
        wait_for_completion(c)            # consumed by this first wait
        kref_put(r, lambda _: complete(c))  # underflow: nothing is completed
        wait_for_completion(c)
    kinds = [f.kind for f in k.findings]
    assert kinds == ["warn", "lock"]
    assert "never return" in k.findings[1].message
