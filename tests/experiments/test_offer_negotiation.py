"""Offer list vs mapping-type matchers: matching check 1 and an independent re-derivation of both rules."""
from __future__ import annotations

import polars as pl

from dmabuf_lab.experiments import offer_negotiation as on


def test_oracle1_from_the_fact_sheet():
    w = {r["revision"]: r for r in on.who_wins(["A", "B"], ["B", "A"]).iter_rows(named=True)}
    assert w["offer-list"]["chosen"] == "B"
    assert w["mapping-types-2026-02"]["chosen"] == "A"
    assert w["mapping-types-2026-02"]["importer_index"] == 1


def _importer_first(e, i):
    return next((x for x in i if x in e), None)


def _exporter_first(e, i):
    return next((x for x in e if x in i), None)


def test_order_matrix_matches_the_two_rules_written_out():
    m = on.order_matrix(("A", "B", "C"))
    # 15 ordered lists of 1..3 distinct names on each side
    assert m.height == 15 * 15
    for r in m.iter_rows(named=True):
        e, i = list(r["exporter"]), list(r["importer"])
        want2, want6 = _importer_first(e, i), _exporter_first(e, i)
        assert r["r2"] == (want2 or "-EOPNOTSUPP")
        assert r["r6"] == (want6 or "-EINVAL")


def test_driver_runs_generic_fallback_and_order():
    f = on.offer_runs(targets=["offer-list:fixed"])
    row = {r["case"]: r for r in f.iter_rows(named=True)}
    # xe offers [bar-slice, vram, dma-addr]; the system heap knows no interconnect: the core
    # picks the generic dma_addr_t entry, index 2.
    assert row["xe PF <- system heap"]["offer_index"] == 2
    assert row["xe PF <- system heap"]["outcome"] == "dma-addr"
    assert row["xe PF <- system heap, no DMA offer"]["outcome"] == "-EOPNOTSUPP"
    assert row["rdma [dma, phys] <- vfio BAR"]["outcome"] == "dma-addr"
    assert row["rdma [phys, dma] <- vfio BAR"]["outcome"] == "phys"
    assert f.filter(pl.col("outcome") == "model-error").height == 0
