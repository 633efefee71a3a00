"""negotiation_matrix(): the frame the notebooks plot."""
from __future__ import annotations

import polars as pl

from dmabuf_lab.experiments.negotiation import COLUMNS, negotiation_matrix


def test_columns_and_rows():
    df = negotiation_matrix(topologies=["xe-sriov-8vf"], revisions=["mainline", "mapping-types-2026-02"])
    assert isinstance(df, pl.DataFrame)
    assert tuple(df.columns) == COLUMNS
    assert df.columns[:6] == ["revision", "exporter", "importer", "topology", "outcome", "findings"]
    assert df.height > 0
    assert set(df["revision"].unique()) == {"mainline", "mapping-types-2026-02"}
    # matching check 5 (docs/sources.md): vfio + iommufd -> PAL under mapping-types-2026-02.
    row = df.filter((pl.col("revision") == "mapping-types-2026-02") & (pl.col("exporter") == "vfio-pci")
                    & (pl.col("importer") == "iommufd"))
    assert row["outcome"].to_list() == ["pal"]
    # KVM has no way in under mainline.
    kvm = df.filter((pl.col("revision") == "mainline") & (pl.col("importer") == "kvm"))
    assert set(kvm["outcome"]) == {"cannot-express"}
