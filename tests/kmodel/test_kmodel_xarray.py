from hypothesis import given
from hypothesis import strategies as st

import pytest

from dmabuf_lab.kmodel import (EINVAL, ENOMEM, ENXIO, ERR_PTR, Kernel, XaCorruption,
                               kzalloc, kstruct, xa_count_nodes, xa_destroy, xa_empty, xa_erase,
                               xa_err, xa_for_each, xa_init, xa_is_err, xa_is_value, xa_load,
                               xa_mk_value, xa_nodes_for, xa_store, xa_to_value)
from dmabuf_lab.kmodel.xarray import xarray

MASK = (1 << 64) - 1


class obj(kstruct):
    fields = (("v", 0),)


def kinds(k):
    return [f.kind for f in k.findings]


def fresh():
    return xa_init(xarray())


def test_internal_entries_rejected_with_warn_einval():
    with Kernel() as k:
        xa = fresh()
        for word in (2, 6, 256 * 4 + 2):          # low bits 10, up to XA_RETRY_ENTRY
            ret = xa_store(xa, 1, word)
            assert xa_is_err(ret) and xa_err(ret) == -EINVAL
        assert xa_load(xa, 1) is None and xa_empty(xa)
    assert kinds(k) == ["warn"]                    # WARN_ON_ONCE: one report


def test_value_entries_and_raw_ints():
    with Kernel() as k:
        xa = fresh()
        assert xa_mk_value(5) == 11
        xa_store(xa, 3, xa_mk_value(5))
        assert xa_to_value(xa_load(xa, 3)) == 5
        xa_store(xa, 4, 7)                          # a raw odd int is a value entry
        assert xa_is_value(xa_load(xa, 4)) and xa_to_value(xa_load(xa, 4)) == 3
        xa_store(xa, 5, 8)                          # low bits 00: kept as a "pointer"
        assert xa_load(xa, 5) == 8 and not xa_is_value(8)
        xa_store(xa, 6, 257 * 4 + 2)                # XA_ZERO_ENTRY is accepted, loads NULL
        assert xa_load(xa, 6) is None
        assert [i for i, _ in xa_for_each(xa)] == [3, 4, 5]
        xa_destroy(xa)
    assert k.findings == []


def test_error_entry_encoding():
    ret_word = ((-ENOMEM << 2) | 2) & MASK          # xa_mk_internal(-ENOMEM)
    assert xa_is_err(ret_word) and xa_err(ret_word) == -ENOMEM
    assert xa_err(ERR_PTR(-EINVAL)) == -ENXIO       # (long)-22 >> 2 == -6
    assert not xa_is_err(ERR_PTR(-ENOMEM))          # -12 ends in 00: looks like a pointer


def test_err_ptr_stored_is_taken_for_a_node():
    with Kernel():
        xa = fresh()
        p = object()
        xa_store(xa, 0, p)
        xa_store(xa, 1, ERR_PTR(-EINVAL))
        with pytest.raises(XaCorruption):
            list(xa_for_each(xa))


def test_store_enomem_under_fault_injection():
    with Kernel(fail_nth=1) as k:
        xa = fresh()
        p, q = object(), object()
        assert xa_store(xa, 0, p) is None          # index 0 lives in the head: no node
        ret = xa_store(xa, 1, q)
        assert xa_is_err(ret) and xa_err(ret) == -ENOMEM
        assert xa_load(xa, 0) is p and xa_load(xa, 1) is None
        assert k.nr_allocs == 1
    assert k.findings == []
    # storing 4096 into an empty array needs 3 nodes; fail the 2nd, the 1st is freed
    with Kernel(fail_nth=2) as k:
        xa = fresh()
        assert xa_err(xa_store(xa, 4096, p)) == -ENOMEM
        assert k.nr_allocs == 2 and xa_empty(xa)
        assert xa_store(xa, 4096, p) is None and xa_count_nodes(xa) == 3
        xa_destroy(xa)
    assert k.findings == []


@pytest.mark.parametrize("n,nodes", [(0, 0), (1, 0), (2, 1), (64, 1), (65, 1 + 2),
                                     (4096, 1 + 64), (4097, 1 + 2 + 65),
                                     (64 ** 3, 1 + 64 + 64 ** 2)])
def test_node_count_by_hand(n, nodes):
    assert xa_nodes_for(n) == nodes


def test_node_count_offset_by_hand():
    assert xa_nodes_for(1, first=5) == 1
    assert xa_nodes_for(2, first=63) == 1 + 2       # 63 and 64 straddle two leaves


@given(n=st.integers(1, 5000), first=st.sampled_from([0, 1, 63, 64, 4095, 100000]))
def test_allocated_nodes_match_the_count(n, first):
    with Kernel() as k:
        xa = fresh()
        for i in range(first, first + n):
            assert not xa_is_err(xa_store(xa, i, xa_mk_value(i)))
        assert k.nr_allocs == xa_count_nodes(xa) == xa_nodes_for(n, first)
        xa_destroy(xa)
    assert k.findings == []


def test_erase_frees_nodes_and_shrinks():
    with Kernel() as k:
        xa = fresh()
        for i in range(65):
            xa_store(xa, i, xa_mk_value(i))
        assert xa_count_nodes(xa) == 3
        assert xa_to_value(xa_erase(xa, 64)) == 64
        assert xa_count_nodes(xa) == 1                # leaf freed, root dropped
        for i in range(1, 64):
            xa_erase(xa, i)
        assert xa_count_nodes(xa) == 0 and xa_to_value(xa_load(xa, 0)) == 0
        assert xa_erase(xa, 0) is not None and xa_empty(xa)
    assert k.findings == []                           # no node left behind


def test_destroy_frees_nodes_not_entries():
    with Kernel() as k:
        xa = fresh()
        items = [kzalloc(obj) for _ in range(3)]
        for i, it in enumerate(items):
            xa_store(xa, i * 100, it)
        assert [(i, e) for i, e in xa_for_each(xa)] == [(0, items[0]), (100, items[1]),
                                                       (200, items[2])]
        xa_destroy(xa)
    assert kinds(k) == ["leak"] * 3                   # the entries are the caller's


@given(st.lists(st.tuples(st.sampled_from(["store", "erase"]),
                          st.one_of(st.integers(0, 130), st.integers(0, 1 << 20)),
                          st.integers(0, 1000)), max_size=60))
def test_matches_a_dict(ops):
    with Kernel() as k:
        xa, ref = fresh(), {}
        for op, index, v in ops:
            if op == "store":
                old = xa_store(xa, index, xa_mk_value(v))
                assert (None if old is None else xa_to_value(old)) == ref.get(index)
                ref[index] = v
            else:
                old = xa_erase(xa, index)
                assert (None if old is None else xa_to_value(old)) == ref.pop(index, None)
        assert [(i, xa_to_value(e)) for i, e in xa_for_each(xa)] == sorted(ref.items())
        assert all(xa_to_value(xa_load(xa, i)) == v for i, v in ref.items())
        for i in list(ref):
            xa_erase(xa, i)
        assert xa_empty(xa)
    assert k.findings == []
