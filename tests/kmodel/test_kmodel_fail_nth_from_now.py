"""fail_nth_from_now(): the per-task fail-nth file, counted from the moment it is written."""
import pytest

from dmabuf_lab.kmodel import Kernel, fail_nth_from_now, kfree, kzalloc

#: Any allocation will do: a 64-byte kzalloc().
thing = 64


def _allocs(n):
    return [kzalloc(thing) for _ in range(n)]


def test_counts_from_the_write_not_from_the_start_of_the_run():
    with Kernel(name="fail-nth-from-now") as k:
        before = _allocs(3)
        assert fail_nth_from_now(2)
        after = _allocs(3)
        for o in before + after:
            if o is not None:
                kfree(o)
    assert all(o is not None for o in before)
    assert [o is None for o in after] == [False, True, False]
    assert k.fault.injected


def test_one_is_the_next_allocation():
    with Kernel(name="fail-nth-next") as k:
        assert fail_nth_from_now(1)
        first = kzalloc(thing)
        second = kzalloc(thing)
        kfree(second)
    assert first is None and second is not None


def test_an_armed_run_keeps_its_own_setting():
    with Kernel(fail_nth=1, name="armed") as k:
        assert not fail_nth_from_now(3)
        first = kzalloc(thing)
    assert first is None
    assert k.fail_nth == 1


@pytest.mark.parametrize("bad", [0, -1, True])
def test_a_count_below_one_is_refused(bad):
    with Kernel(name="bad-count"):
        with pytest.raises(ValueError):
            fail_nth_from_now(bad)
