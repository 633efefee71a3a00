"""The public oracles of docs/sources.md, as direct tests of the matchers.

matching check 1-4 call dma_buf_match_mapping() (mapping-types-2026-02) and dma_buf_negotiate() (offer-list)
with hand-built lists; the expected indices and errnos are read off the
oracle text, not computed by the code under test.  matching check 5 runs the
drivers end to end.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from dmabuf_lab.hw import load_topology
from dmabuf_lab.kmodel import EINVAL, ENOMEM, EOPNOTSUPP, Kernel
from dmabuf_lab.litmus.runner import run_once
from dmabuf_lab.revisions import mapping_types_2026_02 as mt
from dmabuf_lab.revisions import offer_list as ol
from dmabuf_lab.revisions.base import ExporterSpec, ImporterSpec


@dataclass
class Calls:
    match: int = 0
    finish: list = None

    def __post_init__(self):
        self.finish = []


def make_type(name: str, calls: Calls, match_ret=None) -> mt.dma_buf_mapping_type:
    """A mapping type whose callbacks record that they ran."""
    def finish(args, exp, imp):
        calls.finish.append((name, exp, imp))

    def match(dmabuf, exp, imp):
        calls.match += 1
        return match_ret

    return mt.dma_buf_mapping_type(name=name, match=match if match_ret is not None else None,
                                   finish_match=finish)


def args_for(imp: list) -> mt.dma_buf_match_args:
    return mt.dma_buf_match_args(dmabuf=None, attach=mt.dma_buf_attachment_mt(), imp_matches=imp,
                                 imp_len=len(imp))


# --- matching check 1 -----------------------------------------------------------------

def test_oracle1_r6_exporter_order_wins():
    calls = Calls()
    A, B = make_type("A", calls), make_type("B", calls)
    exp = [mt.dma_buf_mapping_match(type=A), mt.dma_buf_mapping_match(type=B)]
    imp = [mt.dma_buf_mapping_match(type=B), mt.dma_buf_mapping_match(type=A)]
    with Kernel():
        assert mt.dma_buf_match_mapping(args_for(imp), exp, 2) == 0
    assert len(calls.finish) == 1
    name, e, i = calls.finish[0]
    assert name == "A"                  # the exporter's first choice ...
    assert e is exp[0]
    assert i is imp[1]                  # ... found at importer index 1


def test_oracle1_r2_importer_order_wins():
    A = ol.dma_buf_interconnect("A", "private")
    B = ol.dma_buf_interconnect("B", "private")
    supported = (A, B)                  # the exporter's own list, in its order

    def negotiate(dmabuf, offer, n):
        return ol.dma_buf_negotiate_first(offer, n, lambda item: item.interconnect in supported)

    dmabuf = type("buf", (), {})()
    dmabuf.ops = ol.dma_buf_ops_ic(negotiate=negotiate)
    offer = [ol.dma_buf_interconnect_negotiation(B), ol.dma_buf_interconnect_negotiation(A)]
    with Kernel():
        assert ol.dma_buf_negotiate(dmabuf, offer, 2) == 0     # offer[0] is B
    assert offer[0].interconnect is B


def test_r2_unaware_exporter_falls_back_to_generic_dma_addr():
    dmabuf = type("buf", (), {})()
    dmabuf.ops = ol.dma_buf_ops_ic()                            # no negotiate: no interconnects
    mine = ol.dma_buf_interconnect("mine", "private")
    offer = [ol.dma_buf_interconnect_negotiation(mine),
             ol.dma_buf_interconnect_negotiation(ol.dmabuf_generic_dma_addr_t, "dev")]
    with Kernel():
        assert ol.dma_buf_negotiate(dmabuf, offer, 2) == 1
        assert ol.dma_buf_negotiate(dmabuf, offer[:1], 1) == -EOPNOTSUPP


# --- matching check 2 -----------------------------------------------------------------

@pytest.mark.parametrize("case", ["empty-exporter", "empty-importer", "no-common-type"])
def test_oracle2_no_match_is_einval_and_no_callback_runs(case):
    calls = Calls()
    A = make_type("A", calls, match_ret=0)
    B = make_type("B", calls, match_ret=0)
    C = make_type("C", calls, match_ret=0)
    exp = [mt.dma_buf_mapping_match(type=A), mt.dma_buf_mapping_match(type=B)]
    imp = [mt.dma_buf_mapping_match(type=C)]
    if case == "empty-exporter":
        exp = []
    elif case == "empty-importer":
        imp = []
    with Kernel():
        assert mt.dma_buf_match_mapping(args_for(imp), exp, len(exp)) == -EINVAL
    assert calls.match == 0
    assert calls.finish == []


# --- matching check 3 -----------------------------------------------------------------

def test_oracle3_match_error_aborts_without_finish_match():
    calls = Calls()
    A = make_type("A", calls, match_ret=-ENOMEM)
    B = make_type("B", calls)
    exp = [mt.dma_buf_mapping_match(type=A), mt.dma_buf_mapping_match(type=B)]
    imp = [mt.dma_buf_mapping_match(type=A), mt.dma_buf_mapping_match(type=B)]
    with Kernel():
        assert mt.dma_buf_match_mapping(args_for(imp), exp, 2) == -ENOMEM
    assert calls.match == 1
    assert calls.finish == []           # B would have matched, but the search stopped


def test_match_eopnotsupp_moves_on_to_the_next_pair():
    calls = Calls()
    A = make_type("A", calls, match_ret=-EOPNOTSUPP)
    B = make_type("B", calls)
    exp = [mt.dma_buf_mapping_match(type=A), mt.dma_buf_mapping_match(type=B)]
    imp = [mt.dma_buf_mapping_match(type=A), mt.dma_buf_mapping_match(type=B)]
    with Kernel():
        assert mt.dma_buf_match_mapping(args_for(imp), exp, 2) == 0
    assert [c[0] for c in calls.finish] == ["B"]


# --- matching check 4 -----------------------------------------------------------------

def test_oracle4_p2p_exporter_vs_static_importer_no_match():
    topo = load_topology("xe-sriov-8vf")
    vf, pf = topo.device("0000:03:00.2"), topo.device("0000:03:00.0")
    ops = mt.dma_buf_mapping_sgt_exp_ops()
    exp = [mt.DMA_BUF_EMAPPING_SGT_P2P(ops, vf)]
    static = [mt.DMA_BUF_IMAPPING_SGT(pf, mt.DMA_SGT_NO_P2P)]      # what dma_buf_attach() builds
    dynamic = [mt.DMA_BUF_IMAPPING_SGT(pf, mt.DMA_SGT_IMPORTER_ACCEPTS_P2P)]
    with Kernel() as k:
        assert mt.dma_buf_match_mapping(args_for(static), exp, 1) == -EINVAL
        a = args_for(dynamic)
        assert mt.dma_buf_match_mapping(a, exp, 1) == 0
        assert mt.dma_buf_sgt_p2p_allowed(a.attach)
        assert a.attach.peer2peer is True
    assert k.findings == []


# --- matching check 5 -----------------------------------------------------------------

VF_SLICE = ExporterSpec("vfio-pci", "0000:03:00.2", 2, ((0, 0x200000),))


@pytest.mark.parametrize("importer,want", [
    (ImporterSpec("iommufd"), "pal"),
    (ImporterSpec("xe", "0000:03:00.0", True), "sgt-p2p"),
])
def test_oracle5_vfio_offers_pal_then_sgt_p2p(importer, want):
    v = run_once(load_topology("xe-sriov-8vf"), VF_SLICE, importer, revision="mapping-types-2026-02:fixed")
    assert v.outcome == want
    assert v.findings == []
