import inspect

import pytest

from dmabuf_lab.kmodel import (ERR_PTR, GFP_ATOMIC, KMALLOC_MAX_SIZE, KArray, Kernel, current_kernel,
                               default_kernel, is_freed, kcalloc, kfree, kmalloc, kmalloc_array,
                               kmemleak_not_leak, kstruct, kvcalloc, kvfree, kvmalloc,
                               kvmalloc_array, kvzalloc, kzalloc, report, spin_lock, spin_unlock,
                               spinlock_t)


class dma_buf_ranges(kstruct):
    fields = ("ranges", ("nranges", int))


class phys_vec(kstruct):
    fields = (("paddr", 0), ("len", 0))


def kinds(k):
    return [f.kind for f in k.findings]


def here():
    """file:line of the caller, computed by hand from the test source."""
    fr = inspect.currentframe().f_back
    return f"{fr.f_code.co_filename.rsplit('/', 1)[-1]}:{fr.f_lineno}"


def test_clean_path_reports_nothing():
    with Kernel() as k:
        r = kzalloc(dma_buf_ranges)
        r.ranges = kcalloc(3, phys_vec)
        r.nranges = 3
        for i in range(r.nranges):
            r.ranges[i].paddr = 0x1000 * i
        total = sum(v.paddr for v in r.ranges)
        kfree(r.ranges)
        kfree(r)
    assert total == 0x3000
    assert k.findings == []


def test_kzalloc_zeroes_fields():
    with Kernel() as k:
        r = kzalloc(dma_buf_ranges)
        assert r.ranges is None and r.nranges == 0
        r.nranges += 2
        assert r.nranges == 2
        kfree(r)
    assert k.findings == []


def test_leak_reported_at_allocation_site():
    with Kernel() as k:
        kzalloc(dma_buf_ranges); site = here()
    assert kinds(k) == ["leak"]
    assert k.findings[0].site.startswith("tests/kmodel/test_kmodel_alloc.py:" + site.split(":")[1])
    assert k.findings[0].site.endswith("test_leak_reported_at_allocation_site")


def test_check_leaks_reports_once():
    with Kernel() as k:
        kmalloc(64)
        assert len(k.check_leaks()) == 1
        assert k.check_leaks() == []
    assert kinds(k) == ["leak"]


def test_keep_marks_long_lived():
    with Kernel() as k:
        k.keep(kzalloc(dma_buf_ranges))
        kmemleak_not_leak(kmalloc_array(4, 8))
    assert k.findings == []


def test_use_after_free_read_and_write_continue():
    with Kernel() as k:
        r = kzalloc(dma_buf_ranges)
        r.nranges = 7
        kfree(r)
        assert r.nranges == 7          # the stale value, after the report
        r.nranges = 8
    assert kinds(k) == ["use-after-free", "use-after-free"]
    assert "read" in k.findings[0].message and "write" in k.findings[1].message


def test_use_after_free_of_array_element_and_embedded_struct():
    with Kernel() as k:
        a = kmalloc_array(4, 8)
        a[0] = 1
        kfree(a)
        a[0]
        v = kcalloc(2, phys_vec)
        e = v[1]
        kfree(v)
        e.paddr
    assert kinds(k) == ["use-after-free", "use-after-free"]
    assert is_freed(a) and is_freed(v)


def test_double_free():
    with Kernel() as k:
        r = kzalloc(dma_buf_ranges)
        kfree(r)
        kfree(r)
    assert kinds(k) == ["double-free"]


def test_kfree_of_kvmalloc_memory_is_bad_free_but_kvfree_of_kmalloc_is_legal():
    with Kernel() as k:
        kfree(kvmalloc_array(8, 16))
    assert kinds(k) == ["bad-free"]
    with Kernel() as k:
        kvfree(kmalloc(32))
        kvfree(kzalloc(dma_buf_ranges))
        kvfree(kvzalloc(dma_buf_ranges))
        kvfree(kvcalloc(2, 4))
        kvfree(kvmalloc(16))
    assert k.findings == []


def test_other_bad_frees():
    with Kernel() as k:
        kfree(None)                          # no-op
        kfree(ERR_PTR(-12))
        kfree(dma_buf_ranges())              # a stack object
        v = kcalloc(2, phys_vec)
        kfree(v[1])                          # a pointer into the middle
        kfree(v)
    assert kinds(k) == ["bad-free", "bad-free", "bad-free"]


def test_uninitialised_struct_field():
    with Kernel() as k:
        r = kmalloc(dma_buf_ranges)
        r.ranges = None
        assert r.ranges is None               # written first: fine
        n = r.nranges                         # never written
        r.nranges                             # reported once per field
        kfree(r)
    assert n == 0
    assert kinds(k) == ["uninitialised"]
    assert "nranges" in k.findings[0].message


def test_uninitialised_array_element_and_buffer():
    with Kernel() as k:
        a = kmalloc_array(3, 8)
        a[0] = 5
        a[0]
        a[2]
        b = kmalloc(16)
        b[15]
        z = kcalloc(3, 8)
        z[2]
        kfree(a), kfree(b), kfree(z)
    assert kinds(k) == ["uninitialised", "uninitialised"]
    assert "element 2" in k.findings[0].message and "element 15" in k.findings[1].message


def test_out_of_bounds_is_a_warn_finding():
    with Kernel() as k:
        a = kcalloc(4, 8)
        assert len(a) == 4
        a[4] = 1
        assert a[-1] == 0
        kfree(a)
    assert kinds(k) == ["warn", "warn"]
    assert all("slab-out-of-bounds" in f.message for f in k.findings)


def test_no_such_member():
    r = dma_buf_ranges(nranges=2)
    with pytest.raises(AttributeError, match="no member 'nrange'"):
        r.nrange = 3
    with pytest.raises(TypeError):
        dma_buf_ranges(bogus=1)


def test_inherited_fields_and_embedded_member():
    class inner(kstruct):
        fields = (("a", 0),)

    class outer(dma_buf_ranges):
        fields = (("in_", inner), ("flags", 0))

    with Kernel() as k:
        o = kzalloc(outer)
        o.in_.a = 3
        o.nranges = 1
        kfree(o)
        o.in_.a                               # embedded member freed with its parent
    assert kinds(k) == ["use-after-free"]


def test_kmalloc_array_overflow_returns_null_without_an_attempt():
    with Kernel() as k:
        assert kmalloc_array(1 << 62, 8) is None
        assert k.nr_allocs == 0
    assert k.findings == []


def test_kmalloc_over_max_size_warns_and_fails():
    with Kernel() as k:
        assert kmalloc(KMALLOC_MAX_SIZE + 1) is None
        big = kvmalloc(KMALLOC_MAX_SIZE + 1)
        assert isinstance(big, KArray)
        kvfree(big)
    assert kinds(k) == ["warn"]


def test_gfp_kernel_under_spinlock_warns():
    lock = spinlock_t()
    with Kernel() as k:
        spin_lock(lock)
        kfree(kmalloc(8, GFP_ATOMIC))         # fine
        kfree(kmalloc(8))                     # GFP_KERNEL may sleep
        spin_unlock(lock)
    assert kinds(k) == ["warn"]
    assert "sleeping function" in k.findings[0].message


def test_report_and_default_kernel():
    assert current_kernel() is default_kernel()
    with Kernel(name="outer") as k:
        assert current_kernel() is k
        with Kernel(name="inner") as k2:
            report("mistranslation", "DPA used as a DMA address")
        assert current_kernel() is k
    assert current_kernel() is default_kernel()
    assert k.findings == [] and kinds(k2) == ["mistranslation"]
    assert k2.findings[0].site.endswith("test_report_and_default_kernel")
    with Kernel(), pytest.raises(ValueError):
        report("no-such-kind", "x")


def test_kfree_of_first_element_frees_the_array():
    """``kfree(&arr[0])`` is ``kfree(arr)`` (same address); ``&arr[1]`` is inside the object."""
    from dmabuf_lab.kmodel import kfree, kmalloc_array, kstruct

    class rng(kstruct):
        fields = ("start", "end")

    with Kernel() as k:
        a = kmalloc_array(3, rng)
        kfree(a[0])
    assert k.findings == []
    with Kernel() as k:
        a = kmalloc_array(3, rng)
        kfree(a[1])
        kfree(a)
    assert [f.kind for f in k.findings] == ["bad-free"]
