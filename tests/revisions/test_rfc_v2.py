"""rfc-v2 (rfc-v2, the RFC v2 1/8 thread (2025-10-26)): the matcher, container_of over typed ops, the IOV map's checks,
who frees what "no unmap" hands out, the xe PF's DPA translation and a fault sweep.

Oracles: the RFC v2 1/8 thread (2025-10-26) and the RFC v1 thread (2025-10-14) control flow (exporter-outer match, allow_ic cleared on no
match; dynamic -EINVAL before allow_ic -EOPNOTSUPP), docs/sources.md' SR-IOV layout
(VF i's BAR 2 at 0x40_0000_0000 + i x 4 GiB) and a block walk written in the test.
"""
from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from dmabuf_lab.addr.phys_vec_array import dma_buf_mapping_free, dma_buf_mapping_from_ranges
from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.drivers import registry
from dmabuf_lab.hw import load_topology
from dmabuf_lab.kmodel import (EINVAL, EOPNOTSUPP, PTR_ERR, Kernel, dma_resv, dma_resv_lock,
                               dma_resv_unlock, kfree, kstruct, kvfree)
from dmabuf_lab.litmus.runner import fault_sweep_scenario
from dmabuf_lab.litmus.scenario import load_scenario
from dmabuf_lab.revisions import rfc_v2 as v2
from dmabuf_lab.revisions.base import ExporterSpec, ImporterSpec, Oops, Session, session_scope

LITMUS = Path(__file__).resolve().parents[2] / "litmus"
MiB, GiB = 1 << 20, 1 << 30
PF, VF1 = "0000:03:00.0", "0000:03:00.2"


class fake_buf(kstruct):
    fields = ("ops", "resv", "priv", "size", "attachments")


def _attach(dynamic=True, allow_ic=True):
    a = v2.dma_buf_attachment_v2()
    a.dmabuf = fake_buf(resv=dma_resv())
    a.importer_ops = dma_buf_attach_ops(move_notify=lambda at: None) if dynamic else None
    a.allow_ic = allow_ic
    return a


def _ops(name, verdict=True, calls=None):
    def match(exp, imp):
        if calls is not None:
            calls.append((name, exp.pdev, imp.pdev))
        return verdict(exp, imp) if callable(verdict) else verdict
    return v2.dma_buf_interconnect_ops(name=name, match_interconnect=match)


# --- dma_buf_match_interconnects() ----------------------------------------------------------

def test_match_records_interconnect_and_exporter_ops():
    ops = _ops("iov")
    a = _attach()
    exp = [v2.CREATE_IOV_INTERCONNECT("vf", 2, ops)]
    imp = [v2.CREATE_IOV_INTERCONNECT("pf", 2)]
    assert v2.dma_buf_match_interconnects(a, exp, 1, imp, 1)
    assert a.interconnect is v2.dma_buf_iov_interconnect and a.ic_ops is ops and a.allow_ic


def test_exporter_order_wins():
    x, y = v2.dma_buf_interconnect("x"), v2.dma_buf_interconnect("y")
    ox, oy = _ops("x"), _ops("y")
    exp = [v2.dma_buf_interconnect_match(interconnect=x, ic_ops=ox),
           v2.dma_buf_interconnect_match(interconnect=y, ic_ops=oy)]
    imp = [v2.dma_buf_interconnect_match(interconnect=y), v2.dma_buf_interconnect_match(interconnect=x)]
    a = _attach()
    assert v2.dma_buf_match_interconnects(a, exp, 2, imp, 2)
    assert a.interconnect is x and a.ic_ops is ox


def test_no_match_clears_allow_ic():
    calls = []
    ops = _ops("iov", verdict=False, calls=calls)
    a = _attach()
    assert not v2.dma_buf_match_interconnects(a, [v2.CREATE_IOV_INTERCONNECT("vf", 2, ops)], 1,
                                              [v2.CREATE_IOV_INTERCONNECT("pf", 0)], 1)
    assert not a.allow_ic and a.interconnect is None and len(calls) == 1


@pytest.mark.parametrize("exp_n, imp_n, allow", [(0, 1, True), (1, 0, True), (1, 1, False)])
def test_no_lists_or_no_allow_ic_never_calls_the_exporter(exp_n, imp_n, allow):
    calls = []
    ops = _ops("iov", calls=calls)
    a = _attach(allow_ic=allow)
    exp = [v2.CREATE_IOV_INTERCONNECT("vf", 2, ops)][:exp_n]
    imp = [v2.CREATE_IOV_INTERCONNECT("pf", 2)][:imp_n]
    assert not v2.dma_buf_match_interconnects(a, exp, exp_n, imp, imp_n)
    assert calls == []


def test_vfio_iov_match_needs_physfn_and_same_bar():
    from dmabuf_lab.drivers.vfio_pci.rfc_v2 import vfio_pci_match_iov_interconnect

    topo = load_topology("xe-sriov-8vf")
    pf, vf, other = topo.device(PF), topo.device(VF1), topo.device("0000:04:00.0")
    m = v2.CREATE_IOV_INTERCONNECT
    assert vfio_pci_match_iov_interconnect(m(vf, 2), m(pf, 2))
    assert not vfio_pci_match_iov_interconnect(m(vf, 2), m(pf, 0))
    assert not vfio_pci_match_iov_interconnect(m(vf, 2), m(other, 2))


# --- container_of over the typed ops ------------------------------------------------------

def test_container_of_recovers_the_specific_ops():
    mapper = object()
    iov = v2.dma_buf_iov_interconnect_ops(ic_ops=v2.dma_buf_interconnect_ops(name="iov"), map=mapper)
    assert v2.container_of(iov.ic_ops, v2.dma_buf_iov_interconnect_ops, "ic_ops") is iov


def test_container_of_a_bare_common_part_oopses():
    with pytest.raises(Oops):
        v2.container_of(v2.dma_buf_interconnect_ops(name="lonely"), v2.dma_buf_iov_interconnect_ops, "ic_ops")


def test_iov_map_over_a_foreign_common_part_oopses():
    a = _attach()
    a.interconnect = v2.dma_buf_iov_interconnect
    a.ic_ops = v2.dma_buf_interconnect_ops(name="not embedded in IOV ops")
    with Kernel(), pytest.raises(Oops):
        dma_resv_lock(a.dmabuf.resv)
        try:
            v2.dma_buf_iov_map(a)
        finally:
            dma_resv_unlock(a.dmabuf.resv)


# --- dma_buf_iov_map() checks: dynamic-only ------------------------------------------------

def _locked_iov_map(a):
    dma_resv_lock(a.dmabuf.resv)
    try:
        return v2.dma_buf_iov_map(a)
    finally:
        dma_resv_unlock(a.dmabuf.resv)


def test_static_importer_gets_einval_before_allow_ic():
    with Kernel() as k:
        m, _, _ = _locked_iov_map(_attach(dynamic=False, allow_ic=False))
    assert PTR_ERR(m) == -EINVAL and not k.findings


def test_dynamic_without_allow_ic_gets_eopnotsupp():
    with Kernel():
        m, _, _ = _locked_iov_map(_attach(allow_ic=False))
    assert PTR_ERR(m) == -EOPNOTSUPP


def test_allow_ic_without_a_recorded_interconnect_is_einval():
    with Kernel():
        m, _, _ = _locked_iov_map(_attach())
    assert PTR_ERR(m) == -EINVAL


def test_iov_map_without_the_lock_is_a_lock_finding():
    iov = v2.dma_buf_iov_interconnect_ops(ic_ops=v2.dma_buf_interconnect_ops(name="iov"),
                                          map=lambda at: ("m", 2, 1))
    a = _attach()
    a.interconnect, a.ic_ops = v2.dma_buf_iov_interconnect, iov.ic_ops
    with Kernel() as k:
        assert v2.dma_buf_iov_map(a) == ("m", 2, 1)
    assert [f.kind for f in k.findings] == ["lock"]


# --- "no unmap": the importer owns what map returned ---------------------------------------------

RANGES = [(0x41_0000_0000, 2 * MiB), (0x41_0060_0000, 2 * MiB)]


def test_importer_frees_with_the_exporters_allocators():
    with Kernel() as k:
        dma_buf_mapping_free(dma_buf_mapping_from_ranges(RANGES))
    assert k.findings == []


def test_importer_that_drops_the_mapping_leaks_header_and_array():
    with Kernel() as k:
        dma_buf_mapping_from_ranges(RANGES)
    assert [f.kind for f in k.findings] == ["leak", "leak"]


def test_kfree_of_the_kvmalloc_array_is_a_bad_free():
    with Kernel() as k:
        m = dma_buf_mapping_from_ranges(RANGES)
        kfree(m.phys)
        kfree(m)
    assert "bad-free" in [f.kind for f in k.findings]


def test_kvfree_of_the_header_alone_leaks_the_array():
    with Kernel() as k:
        m = dma_buf_mapping_from_ranges(RANGES)
        kvfree(m)
    assert [f.kind for f in k.findings] == ["leak"]


# --- the xe PF import, end to end -------------------------------------------------------------

@contextlib.contextmanager
def _run(exporter, importer, target="rfc-v2"):
    from dmabuf_lab.revisions import get_revision, split_target

    rev, var = split_target(target)
    s = Session(load_topology("xe-sriov-8vf"), exporter, importer, get_revision(rev), var)
    with session_scope(s), Kernel() as k:
        exp, imp = registry.make_exporter(s), registry.make_importer(s)
        s.dmabuf = exp.export()
        yield s, exp, imp, k
        imp.teardown()
        exp.release()


def _hand_dpa(vf, offset, length):
    """Walk the VF's LMEM blocks by hand: (dpa, len) pieces of [offset, offset+length)."""
    out, pos = [], 0
    for dpa, blen in vf.lmem.blocks:
        lo, hi = max(offset, pos), min(offset + length, pos + blen)
        if lo < hi:
            out.append((dpa + lo - pos, hi - lo))
        pos += blen
    return out


@pytest.mark.parametrize("target", ["rfc-v2", "mapping-types-2025-10"])
def test_xe_pf_translates_its_vfs_bar_to_dpa(target):
    exp = ExporterSpec("vfio-pci", VF1, 2, ((0, 2 * MiB), (6 * MiB, 2 * MiB)))
    with _run(exp, ImporterSpec("xe", PF, True), target) as (s, e, imp, k):
        imp.attach(s.dmabuf)
        imp.map()
        assert imp.kind == "iov"
        vf = s.topology.device(VF1)
        assert vf.vf_index == 1
        want = _hand_dpa(vf, 0, 2 * MiB) + _hand_dpa(vf, 6 * MiB, 2 * MiB)
        assert s.shared["xe_dpa"] == want
    assert k.findings == []


def test_xe_pf_falls_back_to_sgt_when_nothing_matches():
    """The vfio-exported PF BAR 0 is no VF LMEM BAR: no IOV match, allow_ic cleared, sg_table path."""
    exp = ExporterSpec("vfio-pci", VF1, 0, ((0, 2 * MiB),))
    with _run(exp, ImporterSpec("xe", PF, True)) as (s, e, imp, k):
        imp.attach(s.dmabuf)
        assert imp.attachment.allow_ic is False
        imp.map()
        assert imp.kind == "sgt-p2p" and imp.sgt is not None
    assert k.findings == []


# --- fault sweep ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["rfc-v2-xe-pf-iov-map.toml", "rfc-v2-ic-attach-revoked.toml",
                                  "get-pfn-iommufd-vfio-bar.toml", "rdma-double-walk.toml"])
def test_fault_sweep_attach_and_map_end_clean(name):
    rows = fault_sweep_scenario(load_scenario(LITMUS / name), "rfc-v2")
    assert rows, "the sweep injected nothing"
    bad = [r for r in rows if r.result not in ("clean", "ok", "absorbed")]
    assert not bad, [(r.target, r.index, r.site, r.result, r.findings) for r in bad]
