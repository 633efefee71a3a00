"""RangeArray construction and validation: each bad-input class names index and field."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dmabuf_lab.addr import (PAGE_SIZE, RANGE_DTYPE, DmaAddr, PhysAddr, RangeArray, RangeError,
                             SZ_2M)
from dmabuf_lab.errors import LabInputError

P = PAGE_SIZE


def _err(fn):
    with pytest.raises(RangeError) as e:
        fn()
    assert isinstance(e.value, LabInputError)
    return e.value


def test_good_pairs_roundtrip():
    pairs = [(0x1000, 0x1000), (0x40_0000_0000, 0x8000_0000)]
    ra = RangeArray.from_pairs(pairs)
    assert ra.data.dtype == RANGE_DTYPE and len(ra) == 2
    assert ra.to_pairs() == [(PhysAddr(0x1000), 0x1000), (PhysAddr(0x40_0000_0000), 0x8000_0000)]
    assert ra.kind is PhysAddr
    assert ra.total_bytes() == 0x1000 + 0x8000_0000


def test_zero_length():
    e = _err(lambda: RangeArray.from_pairs([(0, P), (2 * P, 0)]))
    assert e.index == 1 and e.range_field == "length" and "ranges[1].length" in str(e)
    assert "non-zero" in e.expected


def test_overflow_past_2_64():
    top = (1 << 64) - P
    assert len(RangeArray.from_pairs([(top, P)])) == 1          # ends exactly at 2**64: fine
    e = _err(lambda: RangeArray.from_pairs([(0, P), (P * 4, P), (top, 2 * P)]))
    assert e.index == 2 and e.range_field == "length" and "overflow" in str(e)


@pytest.mark.parametrize("pair,field", [((0x1001, P), "start"), ((0x1000, 0x1800), "length")])
def test_misalignment(pair, field):
    e = _err(lambda: RangeArray.from_pairs([(0x10_0000, P), pair]))
    assert e.index == 1 and e.range_field == field and "aligned" in str(e)


def test_alignment_configurable():
    RangeArray.from_pairs([(0x1001, 3)], align=None)
    RangeArray.from_pairs([(0x1001, 3)], align=1)
    e = _err(lambda: RangeArray.from_pairs([(SZ_2M, SZ_2M), (3 * SZ_2M, P)], align=SZ_2M))
    assert e.index == 1 and e.range_field == "length"
    assert e.expected == f"a multiple of {SZ_2M:#x}"


def test_overlap_names_both_indices_after_sorting():
    # sorted order: idx1 [0, P) , idx2 [4P, 6P), idx0 [5P, 6P): 2 and 0 overlap
    e = _err(lambda: RangeArray.from_pairs([(5 * P, P), (0, P), (4 * P, 2 * P)]))
    assert {e.index, e.index2} == {0, 2}
    assert "ranges 0" in str(e) and " 2 " in str(e) and "overlap" in str(e)


def test_touching_ranges_do_not_overlap():
    RangeArray.from_pairs([(P, P), (0, P), (2 * P, P)])


def test_overlap_allowed_when_asked():
    RangeArray.from_pairs([(0, 2 * P), (P, P)], allow_overlap=True)


@pytest.mark.parametrize("pairs,idx,field", [
    ([(0, P), (-P, P)], 1, "start"),
    ([(0, P), (P, -P)], 1, "length"),
    ([(0, P), (P, 4096.0)], 1, "length"),
    ([(0, P), ("0x1000", P)], 1, "start"),
    ([(0, P), (None, P)], 1, "start"),
    ([(True, P)], 0, "start"),
    ([(1 << 64, P)], 0, "start"),
])
def test_bad_values(pairs, idx, field):
    e = _err(lambda: RangeArray.from_pairs(pairs))
    assert e.index == idx and e.range_field == field


@pytest.mark.parametrize("pairs", [[(0, P), (1, 2, 3)], [(0, P), "ab"], [(0, P), 7], 5, "x"])
def test_bad_shapes(pairs):
    e = _err(lambda: RangeArray.from_pairs(pairs))
    assert "pair" in str(e) or "sequence" in str(e) or "shape" in str(e)


def test_bad_numpy_shape_and_mismatched_arrays():
    e = _err(lambda: RangeArray.from_pairs(np.zeros((3, 3), dtype=np.int64)))
    assert "shape" in str(e)
    e = _err(lambda: RangeArray.from_arrays([0, P], [P]))
    assert "2 starts but 1 lengths" in str(e)
    e = _err(lambda: RangeArray.from_arrays(np.array([0.0, 4096.0]), np.array([P, P])))
    assert e.index == 0 and e.range_field == "start"
    e = _err(lambda: RangeArray.from_arrays(np.array([0, -P]), np.array([P, P])))
    assert e.index == 1 and e.range_field == "start"


def test_dicts_with_file_and_line():
    rows = [{"start": 0, "length": P}, {"start": P, "lenght": P}]
    e = _err(lambda: RangeArray.from_dicts(rows, file="buf.toml", lines=[10, 11]))
    assert e.file == "buf.toml" and e.line == 11 and "lenght" in str(e)
    e = _err(lambda: RangeArray.from_dicts([{"length": P}]))
    assert e.range_field == "start" and "missing" in str(e)
    e = _err(lambda: RangeArray.from_dicts([{"start": 0, "len": "4k"}]))
    assert e.range_field == "length"
    ra = RangeArray.from_dicts([{"start": 0, "len": P}, {"start": P, "size": P}], kind=DmaAddr)
    assert ra.kind is DmaAddr and ra.lengths.tolist() == [P, P]


def test_inclusive_ends():
    ra = RangeArray.from_inclusive([0x1000, 0x3000], [0x1FFF, 0x4FFF])
    assert ra.lengths.tolist() == [0x1000, 0x2000]
    assert ra.lasts.tolist() == [0x1FFF, 0x4FFF]
    e = _err(lambda: RangeArray.from_inclusive([0x2000], [0x1000]))
    assert e.range_field == "end"


def test_empty_list():
    assert len(RangeArray.from_pairs([])) == 0
    e = _err(lambda: RangeArray.from_pairs([]).validate(allow_empty=False))
    assert "empty" in str(e)


def test_coalesced_and_sorted():
    ra = RangeArray.from_pairs([(0, P), (P, P), (4 * P, P), (5 * P, 2 * P)])
    c = ra.coalesced()
    assert c.to_pairs() == [(PhysAddr(0), 2 * P), (PhysAddr(4 * P), 3 * P)]
    s = RangeArray.from_pairs([(4 * P, P), (0, P)]).sorted()
    assert s.starts.tolist() == [0, 4 * P]


def test_million_ranges_validate_fast():
    import time
    n = 1_000_000
    starts = np.arange(n, dtype=np.uint64) * np.uint64(2 * P)
    perm = np.random.default_rng(1).permutation(n)
    t = time.perf_counter()
    ra = RangeArray.from_arrays(starts[perm], np.full(n, P, dtype=np.uint64))
    assert time.perf_counter() - t < 5.0
    assert ra.total_bytes() == n * P
    bad = starts.copy()
    bad[n // 2] += np.uint64(P)        # now overlaps with its neighbour
    e = _err(lambda: RangeArray.from_arrays(bad, np.full(n, 2 * P, dtype=np.uint64)))
    assert "overlap" in str(e)


# ---------------------------------------------------------------- properties
def _reference_first_error(pairs, align):
    """Plain-Python oracle: (kind, index) of the first failure, in the documented order."""
    for i, (s, n) in enumerate(pairs):
        if n == 0:
            return ("zero", i)
    for i, (s, n) in enumerate(pairs):
        if s + n > 1 << 64:
            return ("overflow", i)
    for i, (s, n) in enumerate(pairs):
        if s % align or n % align:
            return ("align", i)
    order = sorted(range(len(pairs)), key=lambda i: (pairs[i][0], i))
    for a, b in zip(order, order[1:]):
        if pairs[b][0] < pairs[a][0] + pairs[a][1]:
            return ("overlap", max(a, b))
    return None


pages = st.integers(min_value=0, max_value=64)
small_pairs = st.lists(st.tuples(pages, pages), max_size=12)


@given(small_pairs, st.sampled_from([1, 2, 8]), st.booleans())
def test_validation_matches_reference(raw, unit, misalign):
    align = P
    pairs = [(s * unit * P + (1 if misalign and i == len(raw) - 1 else 0), n * P)
             for i, (s, n) in enumerate(raw)]
    expect = _reference_first_error(pairs, align)
    if expect is None:
        ra = RangeArray.from_pairs(pairs, align=align)
        assert ra.to_pairs() == [(PhysAddr(s), n) for s, n in pairs]
        return
    with pytest.raises(RangeError) as e:
        RangeArray.from_pairs(pairs, align=align)
    kind, idx = expect
    assert e.value.index == idx
    words = {"zero": "length is 0", "overflow": "overflows", "align": "aligned", "overlap": "overlap"}
    assert words[kind] in str(e.value)


@given(st.lists(st.tuples(st.integers(0, (1 << 64) - 1), st.integers(0, (1 << 64) - 1)),
                min_size=1, max_size=8))
def test_arbitrary_u64_never_escapes_as_numpy_error(pairs):
    try:
        ra = RangeArray.from_pairs(pairs, align=None, allow_overlap=True)
    except RangeError as e:
        assert e.index is not None
    else:
        for s, n in pairs:
            assert n > 0 and s + n <= 1 << 64
        assert len(ra) == len(pairs)


@given(st.lists(st.one_of(st.integers(-5, 5), st.floats(allow_nan=True), st.text(max_size=2),
                          st.none(), st.booleans()), min_size=2, max_size=2), st.integers(0, 3))
def test_junk_values_raise_range_error(junk_pair, where):
    pairs = [(0, P)] * where + [tuple(junk_pair)]
    try:
        RangeArray.from_pairs(pairs)
    except RangeError as e:
        assert e.index is not None


def test_one_byte_overlap_is_caught():
    e = _err(lambda: RangeArray.from_pairs([(0, 0x1001), (0x1000, 0x10)], align=None))
    assert {e.index, e.index2} == {0, 1}
    RangeArray.from_pairs([(0, 0x1000), (0x1000, 0x10)], align=None)   # touching only


@given(st.lists(st.tuples(st.integers(0, 300), st.integers(0, 40)), max_size=10))
def test_byte_granular_validation_matches_reference(pairs):
    expect = _reference_first_error(pairs, 1)
    if expect is None:
        assert len(RangeArray.from_pairs(pairs, align=None)) == len(pairs)
        return
    with pytest.raises(RangeError) as e:
        RangeArray.from_pairs(pairs, align=None)
    assert e.value.index == expect[1]
