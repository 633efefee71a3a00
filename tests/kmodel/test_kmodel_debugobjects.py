"""debugobjects and the call-chain fault filter, on plain structs (no dma-buf code)."""
from dmabuf_lab.kmodel import Kernel, kfree, kstruct, kzalloc
from dmabuf_lab.kmodel.debugobjects import (debug_object_assert_init, debug_object_free, debug_object_init,
                                            debug_object_state)


class widget(kstruct):
    fields = (("n", 0),)


def test_assert_on_raw_storage_is_uninitialised():
    with Kernel() as k:
        w = kzalloc(widget)
        assert debug_object_assert_init(w, "struct widget") is False
        kfree(w)
    assert [f.kind for f in k.findings] == ["uninitialised"]
    assert "struct widget" in k.findings[0].message


def test_assert_after_init_is_clean_and_after_free_is_use_after_free():
    with Kernel() as k:
        w = kzalloc(widget)
        debug_object_init(w, "struct widget")
        assert debug_object_state(w) == "init"
        assert debug_object_assert_init(w, "struct widget") is True
        debug_object_free(w, "struct widget")
        assert debug_object_assert_init(w, "struct widget") is False
        kfree(w)
    assert [f.kind for f in k.findings] == ["use-after-free"]


def test_state_is_per_run():
    w = widget()
    with Kernel():
        debug_object_init(w, "struct widget")
    with Kernel() as k:
        assert debug_object_state(w) is None


def grow():
    return kzalloc(widget)


def shrink():
    return kzalloc(widget)


def test_fail_in_fails_only_allocations_under_that_function():
    with Kernel() as k:
        k.fault.fail_in("grow", times=2)
        a, b, c, d = shrink(), grow(), grow(), grow()
        assert a is not None and b is None and c is None and d is not None
        kfree(a), kfree(d)
    assert k.findings == [] and k.fault.injected_fn == "kzalloc"


def test_fail_in_rejects_negative_times():
    import pytest
    with Kernel() as k, pytest.raises(ValueError):
        k.fault.fail_in("grow", times=-1)
