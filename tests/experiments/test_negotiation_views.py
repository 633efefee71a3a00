"""Views of the negotiation matrix (dmabuf_lab.experiments.negotiation_views)."""
from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from dmabuf_lab.experiments.negotiation import negotiation_matrix
from dmabuf_lab.experiments.negotiation_views import (NO_DRIVER, compare_revisions, outcome_class, short_names,
                                                      who_orders, with_classes)

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("outcome,cls", [("sgt", "sg_table"), ("sgt-p2p", "sg_table"), ("pal", "addresses (typed)"),
                                         ("iov", "addresses (typed)"), ("-EOPNOTSUPP", "errno"),
                                         ("-EINVAL", "errno"), ("cannot-express", "cannot-express"),
                                         ("crash", "crash"), ("private", "private"), ("model-error", "lab error")])
def test_outcome_class(outcome, cls):
    assert outcome_class(outcome) == cls


def test_short_names_are_readable_and_keep_variants():
    assert short_names(["mainline-6.19", "mapping-types-2026-02", "rfc-v1", "mainline-7.3-rc6", "mainline",
                        "rfc-v1:fixed", "new-thing"]) == {
        "mainline-6.19": "ml-6.19", "mapping-types-2026-02": "mt26", "rfc-v1": "v1",
        "mainline-7.3-rc6": "ml-7.3-rc6", "mainline": "ml-7.3-rc6", "rfc-v1:fixed": "v1:fixed", "new-thing": "new-thing"}
    assert short_names(["mapping-types-2026-03", "mapping-types-2026-05"]) == {
        "mapping-types-2026-03": "mt2603", "mapping-types-2026-05": "mt2605"}


def test_annotate_names_findings_and_config_in_every_marked_cell(matrix):
    from dmabuf_lab.experiments.negotiation_views import annotate, notes_legend

    plot, notes = annotate(matrix)
    letters = dict(notes)
    for row in plot.iter_rows(named=True):
        marks = row["label"].split(" ")[1] if " " in row["label"] else ""
        named = [letters[m] for m in marks]
        for kind in row["findings"]:
            assert any(row["revision"] in n and kind in n for n in named), row
        for c in row["config"]:
            assert any(c.split(": ")[0] in n for n in named), row
        assert "*" not in row["label"]
    assert all(len(line) <= 72 for line in notes_legend(notes))
    # the get-pfn cells that CONFIG_DMABUF_MOVE_NOTIFY decides say so
    pfn = plot.filter((pl.col("revision") == "get-pfn") & (pl.col("exporter") == "vfio-pci")
                      & (pl.col("importer") == "kvm"))
    assert pfn["config"].to_list() == [["CONFIG_DMABUF_MOVE_NOTIFY=y: pfn"]]


def test_config_flip_is_restored_after_the_run():
    import importlib

    core = importlib.import_module("dmabuf_lab.core")
    dma_buf = importlib.import_module("dmabuf_lab.core.dma_buf")
    from dmabuf_lab.revisions.kconfig import move_notify_config

    before = (core.CONFIG_DMABUF_MOVE_NOTIFY, dma_buf.CONFIG_DMABUF_MOVE_NOTIFY)
    with move_notify_config(not before[0]):
        assert dma_buf.CONFIG_DMABUF_MOVE_NOTIFY is (not before[0])
    assert (core.CONFIG_DMABUF_MOVE_NOTIFY, dma_buf.CONFIG_DMABUF_MOVE_NOTIFY) == before


@pytest.fixture(scope="module")
def matrix():
    return with_classes(negotiation_matrix(topologies=["xe-sriov-8vf"]))


def test_matrix_has_the_revisions_md_oracle5_verdicts(matrix):
    r6 = matrix.filter(pl.col("revision") == "mapping-types-2026-02")
    cell = {(e, i): o for e, i, o in r6.select("exporter", "importer", "outcome").iter_rows()}
    assert cell[("vfio-pci", "iommufd")] == "pal"            # vfio + iommufd -> PAL
    assert cell[("vfio-pci", "xe")] == "sgt-p2p"             # vfio + an SGT importer -> SGT_P2P
    assert cell[("vfio-pci", "rdma")] == "sgt-p2p"
    assert set(matrix["class"]) <= {"sg_table", "addresses (typed)", "private", "errno", "cannot-express", "crash"}
    assert (matrix["pair"] == matrix["exporter"] + " -> " + matrix["importer"]).all()


def test_compare_revisions_on_hand_rows():
    df = pl.DataFrame({"revision": ["a", "a", "b", "b", "a"], "exporter": ["e", "e", "e", "e", "x"],
                       "importer": ["i", "j", "i", "j", "y"], "topology": ["t"] * 5,
                       "outcome": ["sgt", "pal", "sgt", "-EINVAL", "sgt"]})
    diff = compare_revisions(df, "a", "b")
    got = sorted(diff.select("exporter", "importer", "a", "b").iter_rows())
    assert got == [("e", "j", "pal", "-EINVAL"), ("x", "y", "sgt", NO_DRIVER)]


def test_who_orders_oracle1():
    # docs/sources.md matching check 1: offer-list gives the importer's first acceptable offer; mapping-types-2026-02 walks the
    # exporter's list outside, and vfio offers [PAL, SGT_P2P].
    df = who_orders(["offer-list", "mapping-types-2026-02"])
    r2 = df.filter(pl.col("revision") == "offer-list")
    assert (r2["outcome"] == r2["first_choice"]).all()
    assert set(r2["importer_order"]) == {"follows the importer"}
    r6 = df.filter(pl.col("revision") == "mapping-types-2026-02")
    assert set(r6["outcome"]) == {"pal"} and r6.height == 2
    assert set(r6["importer_order"]) == {"same either way"}


def test_negotiation_matrix_takes_a_capture_path():
    path = str(REPO / "data" / "captures" / "lspci-intel-x550-1.txt")
    df = negotiation_matrix(topologies=[path], revisions=["mainline", "mapping-types-2026-02"])
    assert set(df["topology"]) == {path}
    cell = {(r, e, i): o for r, e, i, o in df.select("revision", "exporter", "importer", "outcome").iter_rows()}
    assert cell[("mapping-types-2026-02", "vfio-pci", "iommufd")] == "pal"
    assert cell[("mainline", "vfio-pci", "iommufd")] == "phys"
