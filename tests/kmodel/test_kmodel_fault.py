import inspect

from hypothesis import given
from hypothesis import strategies as st

from dmabuf_lab.kmodel import (ENOMEM, ERR_PTR, Kernel, KernelError, fail_nth, fault_sweep, kcalloc,
                               kfree, kmalloc, kstruct, kzalloc)


class dma_buf_ranges(kstruct):
    fields = ("ranges", ("nranges", int))


def line_of(fn, needle):
    """Line number of the first source line of ``fn`` containing ``needle``."""
    lines, first = inspect.getsourcelines(fn)
    hits = [first + i for i, text in enumerate(lines) if needle in text]
    assert len(hits) == 1, (needle, hits)
    return hits[0]


@given(n=st.integers(1, 12), data=st.data())
def test_fails_exactly_the_nth_allocation(n, data):
    nth = data.draw(st.integers(1, n + 2))
    with Kernel(fail_nth=nth) as k:
        got = [kmalloc(8) for _ in range(n)]
        for p in got:
            kfree(p)
    assert [i + 1 for i, p in enumerate(got) if p is None] == ([nth] if nth <= n else [])
    assert k.nr_allocs == n and k.findings == []
    assert k.fault.injected == (nth <= n)


def test_fail_nth_helper_and_unfaulted_run():
    with fail_nth(2) as k:
        a, b, c = kzalloc(dma_buf_ranges), kzalloc(dma_buf_ranges), kzalloc(dma_buf_ranges)
        kfree(a), kfree(b), kfree(c)
    assert (a is None, b is None, c is None) == (False, True, False)
    with Kernel() as k:
        ptrs = [kmalloc(4) for _ in range(3)]
        assert None not in ptrs
        for p in ptrs:
            kfree(p)
    assert k.fail_nth is None and k.nr_allocs == 3


def good_path(k):
    r = kzalloc(dma_buf_ranges)
    if not r:
        return -ENOMEM
    r.ranges = kcalloc(4, 16)
    if not r.ranges:
        kfree(r)
        return -ENOMEM
    scratch = kmalloc(64)
    if scratch is None:
        kfree(r.ranges)
        kfree(r)
        raise KernelError(-ENOMEM, "no scratch buffer")
    hint = kmalloc(8)                  # optional: the path copes without it
    kfree(hint)
    kfree(scratch)
    kfree(r.ranges)
    kfree(r)
    return 0


def test_sweep_of_a_correct_path():
    sweep = fault_sweep(good_path)
    assert sweep.baseline.outcome == "ok" and sweep.baseline.findings == []
    assert [r.outcome for r in sweep.rows] == ["clean", "clean", "clean", "ok"]
    assert [r.result for r in sweep.rows] == ["-ENOMEM", "-ENOMEM", "-ENOMEM", "0"]
    assert sweep.all_clean
    assert sweep.summary()["clean"] == 3 and sweep.summary()["ok"] == 1
    expected = [line_of(good_path, s) for s in ("kzalloc(dma_buf_ranges)", "kcalloc(4, 16)",
                                                 "kmalloc(64)", "kmalloc(8)")]
    assert [int(r.site.split(":")[1].split()[0]) for r in sweep.rows] == expected
    assert all(r.site.endswith(" good_path") for r in sweep.rows)


def buggy_path(k):
    r = kzalloc(dma_buf_ranges)
    if not r:
        return -ENOMEM
    r.ranges = kcalloc(4, 16)
    if not r.ranges:
        return -ENOMEM                 # leaks r
    buf = kmalloc(64)
    buf[0] = 1                         # NULL dereference when kmalloc failed
    tmp = kmalloc(8)
    if tmp is None:
        kfree(buf)
        kfree(r.ranges)
        kfree(r)
        kfree(r)                       # double free on this error path
        return -ENOMEM
    kfree(tmp)
    kfree(buf)
    kfree(r.ranges)
    kfree(r)
    return 0


def test_sweep_of_a_buggy_path():
    sweep = fault_sweep(buggy_path)
    assert sweep.baseline.outcome == "ok"
    assert [r.outcome for r in sweep.rows] == ["clean", "leak", "crash", "double-free"]
    assert sweep.rows[2].error.startswith("TypeError")
    assert [f.kind for f in sweep.rows[1].findings] == ["leak"]
    assert sweep.rows[1].findings[0].site.endswith(
        f":{line_of(buggy_path, 'kzalloc(dma_buf_ranges)')} buggy_path")
    s = sweep.summary()
    assert (s["clean"], s["leak"], s["crash"], s["double-free"], s["ok"]) == (1, 1, 1, 1, 0)
    assert not sweep.all_clean and len(sweep.bad_rows()) == 3
    rows = sweep.to_rows()
    assert [r["index"] for r in rows] == [1, 2, 3, 4]
    assert {"index", "site", "outcome", "result", "findings", "n_findings"} <= set(rows[0])
    assert "leak" in sweep.render()


def uaf_on_error(k):
    a = kzalloc(dma_buf_ranges)
    if a is None:
        return -ENOMEM
    b = kmalloc(8)
    if b is None:
        kfree(a)
        return -a.nranges or -ENOMEM     # reads a after freeing it
    kfree(b)
    kfree(a)
    return ERR_PTR(-ENOMEM)


def test_sweep_use_after_free_and_err_ptr_result():
    sweep = fault_sweep(uaf_on_error, name="uaf")
    assert sweep.baseline.outcome == "clean" and sweep.baseline.result == "ERR_PTR(-ENOMEM)"
    assert [r.outcome for r in sweep.rows] == ["clean", "use-after-free"]
    assert sweep.to_rows()[0]["path"] == "uaf"


def test_release_callback_frees_a_returned_object():
    def make(k):
        return kzalloc(dma_buf_ranges)

    assert fault_sweep(make).baseline.outcome == "leak"
    sweep = fault_sweep(make, release=lambda k, r: kfree(r))
    assert sweep.baseline.outcome == "ok"
    assert [r.outcome for r in sweep.rows] == ["ok"]   # returning NULL is not an error here
