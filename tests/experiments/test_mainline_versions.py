"""The mainline releases side by side: one verdict column per release, changed where any two differ."""
from __future__ import annotations

from dmabuf_lab.experiments.mainline_versions import releases_side_by_side, side_by_side
from dmabuf_lab.revisions import MAINLINE_RELEASES


def test_releases_side_by_side_marks_what_the_release_split_changes():
    df = releases_side_by_side()
    assert set(MAINLINE_RELEASES) <= set(df.columns)
    changed = dict(zip(df["scenario"], df["changed"]))
    # b344ca94e8cc first in 7.3: 7.1 and 7.2 still warn on the wrapped length
    assert changed["mainline-mapped-len-wrap"] is True
    row = df.filter(df["scenario"] == "mainline-mapped-len-wrap").row(0, named=True)
    assert row["mainline-7.1"] == row["mainline-7.2"] != row["mainline-7.3-rc6"]
    # e745cd2c749e in 7.2: only 7.1's release unpins without the lock
    row = df.filter(df["scenario"] == "vfio-to-iommufd").row(0, named=True)
    assert "lock" in row["mainline-7.1"] and "lock" not in row["mainline-7.2"]
    for r in df.iter_rows(named=True):
        assert r["changed"] == (len({r[x] for x in MAINLINE_RELEASES}) > 1)


def test_side_by_side_defaults_to_the_first_and_the_newest_release():
    df = side_by_side()
    assert {"mainline-6.19", "mainline-7.3-rc6", "changed"} <= set(df.columns)
