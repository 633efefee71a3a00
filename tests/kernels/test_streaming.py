"""Non-temporal output stores: off unless asked for, and the same results when on."""
import numpy as np
import pytest

from dmabuf_lab.bench.workloads import CASES, X86
from dmabuf_lab.kernels import streaming
from dmabuf_lab.kernels.iommu_map import iommu_map_split
from dmabuf_lab.kernels.page_table import build_page_table
from dmabuf_lab.kernels.translate import translate_bar_to_dpa

BIG = 1 << 40


def test_off_unless_the_variable_says_1(monkeypatch):
    monkeypatch.delenv(streaming.STREAM_ENV, raising=False)
    assert not streaming.streaming(BIG)
    monkeypatch.setenv(streaming.STREAM_ENV, "0")
    assert not streaming.streaming(BIG)
    monkeypatch.setenv(streaming.STREAM_ENV, "1")
    assert streaming.streaming(BIG)
    assert not streaming.streaming(streaming.STREAM_MIN_BYTES - 1)


def test_plain_stores_are_none_for_the_kernels(monkeypatch):
    # None, not False: numba compiles a kernel given None without a test per store
    monkeypatch.delenv(streaming.STREAM_ENV, raising=False)
    assert streaming.nt_flag(BIG) is None
    monkeypatch.setenv(streaming.STREAM_ENV, "1")
    assert streaming.nt_flag(BIG) is True
    assert streaming.nt_flag(0) is None


def test_bad_value_names_the_variable(monkeypatch):
    monkeypatch.setenv(streaming.STREAM_ENV, "yes")
    with pytest.raises(ValueError, match=streaming.STREAM_ENV):
        streaming.streaming(BIG)


@pytest.fixture
def all_streamed(monkeypatch):
    """Every output, however small, written with non-temporal stores."""
    monkeypatch.setenv(streaming.STREAM_ENV, "1")
    monkeypatch.setattr(streaming, "STREAM_MIN_BYTES", 0)
    assert streaming.streaming(1)


def _same(a, b, fields):
    for f in fields:
        assert np.array_equal(getattr(a, f), getattr(b, f)), f


@pytest.mark.parametrize("case", ["translate_sriov", "translate_windows"])
@pytest.mark.parametrize("one_pass", [True, False])
def test_translate_streamed_equals_reference(all_streamed, case, one_pass):
    d = CASES[case].make(3000, np.random.default_rng(5))
    d["starts"][::11] += np.uint64(1 << 40)  # some ranges in no window
    for mode in ("correct", "rfc"):
        ref = translate_bar_to_dpa(d["starts"], d["lengths"], d["topo"], mode=mode, backend="reference")
        got = translate_bar_to_dpa(d["starts"], d["lengths"], d["topo"], mode=mode, backend="numba",
                                   one_pass=one_pass)
        _same(ref, got, ("status", "vf", "range_index", "dpa", "length"))
        assert np.count_nonzero(ref.status == 0) > 2000


@pytest.mark.parametrize("one_pass", [True, False])
def test_split_streamed_equals_reference(all_streamed, one_pass):
    d = CASES["iommu_map_split"].make(3000, np.random.default_rng(6))
    ref = iommu_map_split(d["iova"], d["paddr"], d["size"], X86, backend="reference")
    got = iommu_map_split(d["iova"], d["paddr"], d["size"], X86, backend="numba", one_pass=one_pass)
    _same(ref, got, ("status", "range_index", "iova", "paddr", "pgsize", "count"))
    assert len(ref.count) > 3000


@pytest.mark.parametrize("one_pass", [True, False])
def test_page_table_streamed_equals_reference(all_streamed, one_pass):
    d = CASES["page_table_emit"].make(3000, np.random.default_rng(7))
    ranges = (d["va"], d["oa"], d["size"])
    ref = build_page_table(ranges, "x86-64-4level", backend="reference", materialize=True)
    got = build_page_table(ranges, "x86-64-4level", backend="numba", materialize=True, one_pass=one_pass)
    assert got.same_as(ref)
    _same(ref.leaves, got.leaves, ("va", "pte", "level"))
    assert ref.leaves.va.shape[0] > 3000
