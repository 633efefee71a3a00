"""mapping-types-2025-10 (mapping-types-2025-10, the RFC v2 0/8 thread (2025-10-30/31)): the matcher and its order, the SGT P2P rule,
dynamic-only mapping-type importers, the SGT compat lists, typed maps, the conversion
mode and a fault sweep.

Oracles: the public oracles of docs/sources.md (1-4, which mapping-types-2025-10 shares with mapping-types-2026-02
where the design is the same), the RFC v2 0/8 thread (2025-10-30/31)'s statements, and hand-built match lists.
"""
from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.hw import load_topology
from dmabuf_lab.kmodel import EINVAL, ENOMEM, EOPNOTSUPP, IS_ERR, PTR_ERR, Kernel, dma_resv, kstruct
from dmabuf_lab.litmus.runner import fault_sweep_scenario, run_once
from dmabuf_lab.litmus.scenario import load_scenario
from dmabuf_lab.revisions import mapping_types_2025_10 as mt
from dmabuf_lab.revisions.base import ExporterSpec, ImporterSpec, Session, session_scope

LITMUS = Path(__file__).resolve().parents[2] / "litmus"
MiB = 1 << 20
STEPS = ("attach", "map", "unmap", "detach")


@contextlib.contextmanager
def variant(v: str = "posted"):
    with session_scope(Session(None, ExporterSpec("system"), ImporterSpec("legacy"), mt.REVISION, v)):
        yield


class fake_buf(kstruct):
    fields = ("ops", "resv", "priv", "size", "attachments")


def _attach():
    a = mt.dma_buf_attachment_mt()
    a.dmabuf = fake_buf(resv=dma_resv(), attachments=[])
    return a


def _type(name, ret=0, calls=None):
    def match(dmabuf, exp, imp):
        if calls is not None:
            calls.append(name)
        return ret
    return mt.dma_buf_mapping_type(name, match=match)


def _e(t, ops="exp-ops"):
    return mt.dma_buf_mapping_match(type=t, exp_ops=ops)


def _i(t):
    return mt.dma_buf_mapping_match(type=t)


# --- dma_buf_match_mapping() ---------------------------------------------------------------

def test_oracle1_exporter_order_wins():
    A, B = _type("A"), _type("B")
    a = _attach()
    assert mt.dma_buf_match_mapping(a, [_e(A), _e(B)], 2, [_i(B), _i(A)], 2) == 0
    assert a.map_type.type is A


def test_oracle1_same_lists_as_r6_and_unlike_r2():
    """Same answer as Jason's 2026-02 matcher; the offer list would take the importer's B."""
    from dmabuf_lab.revisions import mapping_types_2026_02 as r6
    from dmabuf_lab.revisions import offer_list as r2

    def finish(args, e, i):
        args.attach.map_type = e

    A6 = r6.dma_buf_mapping_type("A", finish_match=finish)
    B6 = r6.dma_buf_mapping_type("B", finish_match=finish)
    att = r6.dma_buf_attachment_mt()
    imp = [r6.dma_buf_mapping_match(type=B6), r6.dma_buf_mapping_match(type=A6)]
    args = r6.dma_buf_match_args(dmabuf=None, attach=att, imp_matches=imp, imp_len=2)
    exp = [r6.dma_buf_mapping_match(type=A6), r6.dma_buf_mapping_match(type=B6)]
    assert r6.dma_buf_match_mapping(args, exp, 2) == 0 and att.map_type.type is A6

    ia, ib = r2.dma_buf_interconnect("A", "private"), r2.dma_buf_interconnect("B", "private")
    offer = [r2.dma_buf_interconnect_negotiation(ib), r2.dma_buf_interconnect_negotiation(ia)]
    exporter_supports = {id(ia), id(ib)}
    assert r2.dma_buf_negotiate_first(offer, 2, lambda item: id(item.interconnect) in exporter_supports) == 0


@pytest.mark.parametrize("exp_n, imp_n", [(0, 1), (1, 0), (0, 0)])
def test_oracle2_empty_list_is_einval_and_runs_nothing(exp_n, imp_n):
    calls = []
    A = _type("A", calls=calls)
    a = _attach()
    assert mt.dma_buf_match_mapping(a, [_e(A)][:exp_n], exp_n, [_i(A)][:imp_n], imp_n) == -EINVAL
    assert calls == [] and a.map_type is None


def test_oracle2_no_common_type_is_einval():
    calls = []
    A, B = _type("A", calls=calls), _type("B", calls=calls)
    assert mt.dma_buf_match_mapping(_attach(), [_e(A)], 1, [_i(B)], 1) == -EINVAL
    assert calls == []


def test_oracle3_other_error_aborts():
    A, B = _type("A", ret=-ENOMEM), _type("B")
    a = _attach()
    assert mt.dma_buf_match_mapping(a, [_e(A), _e(B)], 2, [_i(A), _i(B)], 2) == -ENOMEM
    assert a.map_type is None


def test_eopnotsupp_moves_on_to_the_next_pair():
    calls = []
    A, B = _type("A", ret=-EOPNOTSUPP, calls=calls), _type("B", calls=calls)
    a = _attach()
    assert mt.dma_buf_match_mapping(a, [_e(A), _e(B)], 2, [_i(B), _i(A)], 2) == 0
    assert a.map_type.type is B and calls == ["A", "B"]


# --- the SGT type: P2P is its property --------------------------------------------------------

@pytest.mark.parametrize("topo, accepts, want", [
    ("gpu-nic-same-switch", True, 0),                 # one switch: reachable
    ("gpu-nic-same-switch", False, -EINVAL),          # matching check 4: a static (NO_P2P) importer never matches
    ("gpu-nic-split-root-unlisted", True, -EINVAL),   # root ports of a host bridge not on the list
])
def test_sgt_p2p_rule(topo, accepts, want):
    t = load_topology(topo)
    gpu = next(d for d in t.devices.values() if d.vram is not None)
    nic = next(d for d in t.devices.values() if "ConnectX" in (d.name or "") and not d.is_virtfn)
    exp = [mt.DMA_BUF_EMAPPING_SGT_P2P(mt.dma_buf_sgt_exp_ops(), gpu)]
    imp = [mt.DMA_BUF_IMAPPING_SGT(nic, accepts)]
    a = _attach()
    assert mt.dma_buf_match_mapping(a, exp, 1, imp, 1) == want
    if want == 0:
        assert mt.mapping_kind(a) == "sgt-p2p"


def test_sgt_without_p2p_requirement_matches_any_importer():
    a = _attach()
    exp = [mt.DMA_BUF_EMAPPING_SGT(mt.dma_buf_sgt_exp_ops())]
    assert mt.dma_buf_match_mapping(a, exp, 1, [mt.DMA_BUF_IMAPPING_SGT("dev", False)], 1) == 0
    assert mt.mapping_kind(a) == "sgt"


# --- dynamic-only, compat, no fallback --------------------------------------------------------

def _exporting_buf(types):
    buf = fake_buf(ops=mt.dma_buf_ops_mt(mapping_types=lambda d: types, release=lambda d: None),
                   resv=dma_resv(), attachments=[], size=2 * MiB)
    return buf


def test_mapping_type_importer_must_be_dynamic():
    buf = _exporting_buf([mt.DMA_BUF_EMAPPING_PAL(mt.dma_buf_pal_exp_ops())])
    with Kernel() as k, variant():
        att = mt.dma_buf_mapping_attach(buf, [mt.DMA_BUF_IMAPPING_PAL()], 1, None, None)
        assert PTR_ERR(att) == -EINVAL
        att = mt.dma_buf_mapping_attach(buf, [mt.DMA_BUF_IMAPPING_PAL()], 1,
                                        dma_buf_attach_ops(allow_peer2peer=True), None)   # no move_notify
        assert PTR_ERR(att) == -EINVAL
    assert [f.kind for f in k.findings] == ["warn", "warn"] and buf.attachments == []


def test_static_sgt_importer_still_attaches_through_compat():
    buf = _exporting_buf([mt.DMA_BUF_EMAPPING_SGT(mt.dma_buf_sgt_exp_ops())])
    with Kernel() as k, variant():
        att = mt.dma_buf_attach(buf, "dev")
        assert not IS_ERR(att) and att.importer_ops is None and att.dev == "dev"
        mt.dma_buf_detach(buf, att)
    assert k.findings == []


def test_unaware_exporter_is_matched_through_the_core_sgt_entry():
    maps = []
    buf = fake_buf(ops=mt.dma_buf_ops_mt(map_dma_buf=lambda a, d: maps.append(a) or "sgt",
                                         unmap_dma_buf=lambda a, s, d: None, release=lambda d: None),
                   resv=dma_resv(), attachments=[], size=2 * MiB)
    with Kernel(), variant():
        att = mt.dma_buf_attach(buf, "dev")
        assert att.map_type.exp_ops is mt.dma_buf_sgt_compat_exp_ops
        mt.dma_resv_lock(buf.resv)
        assert mt.dma_buf_map_attachment(att, 0) == "sgt"
        mt.dma_buf_unmap_attachment(att, "sgt", 0)
        mt.dma_resv_unlock(buf.resv)
        mt.dma_buf_detach(buf, att)
    assert maps == [att]


def test_no_allow_ic_field_and_no_shared_map():
    """No importer fallback path and no single shared map op in the design."""
    assert "allow_ic" not in mt.dma_buf_attachment_mt._kzero
    for ops_cls in (mt.dma_buf_sgt_exp_ops, mt.dma_buf_pal_exp_ops, mt.dma_buf_iov_exp_ops):
        assert not hasattr(ops_cls(), "map")
        assert hasattr(ops_cls(), "attach") and hasattr(ops_cls(), "detach")


def test_typed_map_of_the_wrong_type_warns():
    given_back = []
    buf = _exporting_buf([mt.DMA_BUF_EMAPPING_PAL(mt.dma_buf_pal_exp_ops(
        map_phys=lambda a: "list", unmap_phys=lambda a, lst: given_back.append(lst)))])
    ops = dma_buf_attach_ops(move_notify=lambda a: None)
    with Kernel() as k, variant():
        att = mt.dma_buf_mapping_attach(buf, [mt.DMA_BUF_IMAPPING_PAL()], 1, ops, None)
        mt.dma_resv_lock(buf.resv)
        assert PTR_ERR(mt.dma_buf_map_attachment(att, 0)) == -EINVAL
        assert PTR_ERR(mt.dma_buf_iov_map(att)) == -EINVAL
        assert mt.dma_buf_pal_map_phys(att) == "list"
        mt.dma_buf_pal_unmap_phys(att, "list")
        mt.dma_resv_unlock(buf.resv)
        mt.dma_buf_detach(buf, att)
    assert [f.kind for f in k.findings] == ["warn", "warn"] and given_back == ["list"]


# --- the conversion mode ----------------------------------------------------------------------

def test_conversion_entries_come_after_native_ones():
    pal = mt.DMA_BUF_EMAPPING_PAL(mt.dma_buf_pal_exp_ops(), provider="prov", p2p_dev="gpu")
    sgt = mt.DMA_BUF_EMAPPING_SGT(mt.dma_buf_sgt_exp_ops())
    buf = _exporting_buf([pal, sgt])
    with variant("posted"):
        assert mt.dma_buf_exporter_matches(buf) == [pal, sgt]
    with variant("conversion"):
        exp = mt.dma_buf_exporter_matches(buf)
    assert exp[:2] == [pal, sgt] and len(exp) == 3
    conv = exp[2]
    assert conv.type is mt.dma_buf_mapping_sgt_type and conv.requires_p2p and conv.p2p_dev == "gpu"
    assert conv.exp_ops.pal is pal.exp_ops
    a = _attach()
    assert mt.dma_buf_match_mapping(a, exp, 3, [mt.DMA_BUF_IMAPPING_SGT("dev", True)], 1) == 0
    assert a.map_type.exp_ops is sgt.exp_ops         # the native SGT wins over the conversion


@pytest.mark.parametrize("target, want", [("mapping-types-2025-10", "-EINVAL"),
                                          ("mapping-types-2025-10:conversion", "sgt-p2p")])
def test_pal_only_vfio_and_an_sgt_importer(target, want):
    v = run_once("xe-sriov-8vf", ExporterSpec("vfio-pci", "0000:03:00.2", 2, ((0, 2 * MiB),), {"pal_only": True}),
                 ImporterSpec("rdma", "0000:03:00.0"), STEPS, target)
    assert v.outcome == want and v.findings == []


# --- fault sweep ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["rfc-v2-xe-pf-iov-map.toml", "mt2510-pal-iommufd-two-ranges.toml",
                                  "mt2510-conversion-pal-only-vfio.toml", "mt2510-peer-gpu-private-link.toml",
                                  "get-pfn-kvm-vfio-mmio-bar.toml"])
def test_fault_sweep_attach_and_map_end_clean(name):
    rows = fault_sweep_scenario(load_scenario(LITMUS / name), "mapping-types-2025-10")
    assert rows, "the sweep injected nothing"
    bad = [r for r in rows if r.result not in ("clean", "ok", "absorbed")]
    assert not bad, [(r.target, r.index, r.site, r.result, r.findings) for r in bad]
