"""The get_pfn debate frames: shape, the facts of the get_pfn RFC thread (2025-01-07/08), and hand-counted page walks."""
from __future__ import annotations

import polars as pl

from dmabuf_lab.experiments import get_pfn_debate as gd
from dmabuf_lab.revisions import get_pfn as gp

MiB = 1 << 20


def test_grid_covers_every_variant_buffer_and_importer():
    g = gd.philosophy_grid(size=2 * MiB)
    variants = set(gp.REVISION.variants)
    assert set(g["variant"]) == variants
    assert g.height == len(variants) * len(gd.BUFFER_KINDS) * len(gd.IMPORTERS)
    assert g.filter(pl.col("outcome") == "model-error").height == 0


def _cell(g, variant, buffer, importer):
    return g.filter((pl.col("variant") == variant) & (pl.col("buffer") == buffer)
                    & (pl.col("importer") == importer))["outcome"].item()


def test_facts_of_the_debate():
    g = gd.philosophy_grid(size=2 * MiB, variants=["posted", "exporter-maps", "importer-maps"])
    # Jason: KVM and iommufd need CPU physical addresses; an exporter that maps has none for them.
    for buf in gd.BUFFER_KINDS:
        for imp in ("kvm", "iommufd"):
            assert _cell(g, "exporter-maps", buf.name, imp) == "cannot-express"
    # Christian: CPU-invisible memory has no PFN, so no importer that asks for PFNs gets it.
    for imp in ("kvm", "iommufd", "rdma", "xe"):
        assert _cell(g, "importer-maps", "VRAM, CPU-invisible", imp).startswith("-E")
    # The RFC's own case: KVM maps a vfio BAR through get_pfn.
    assert _cell(g, "posted", "MMIO BAR", "kvm") == "pfn"
    # An exporter that maps can still migrate invisible VRAM to system memory for a NIC.
    assert _cell(g, "exporter-maps", "VRAM, CPU-invisible", "rdma") == "sgt"


def test_rule_vs_drivers_only_disagrees_on_memory_that_cannot_move():
    r = gd.rule_vs_drivers(gd.philosophy_grid(size=2 * MiB, variants=["exporter-maps", "importer-maps"]))
    assert r.height > 0
    assert set(r.filter(~pl.col("agree"))["buffer"]) <= {"device-private"}


def test_get_pfn_calls_hand_counted():
    c = gd.get_pfn_calls([2, 4])
    for row in c.iter_rows(named=True):
        pages = row["size_mib"] * MiB // 4096
        assert row["pages"] == pages
        if row["buffer"] == "VRAM, CPU-visible":
            # xe answers order 9 (512 pages) on each aligned 2 MiB VRAM block
            assert row["get_pfn_calls"] == row["size_mib"] // 2
        elif row["importer"] == "rdma":
            assert row["get_pfn_calls"] == 2 * pages     # one walk to size, one to fill
        else:
            assert row["get_pfn_calls"] == pages         # order 0: one call per page
    # the counting wrapper is gone afterwards
    assert gp.dma_buf_get_pfn_unlocked.__name__ == "dma_buf_get_pfn_unlocked"
