"""Plain-text renderers: always within 72 columns, and faithful to the numbers."""
from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, strategies as st

from dmabuf_lab.figures import (FigureTextError, compose_email, render_bars, render_heatmap,
                                render_lines, render_table)

words = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=0, max_size=90)


@given(st.lists(st.tuples(words, st.integers(-10**15, 10**15), st.floats(allow_nan=False, width=32)),
                min_size=1, max_size=8),
       st.integers(1, 14))
def test_table_never_exceeds_72_columns(rows, extra_cols):
    data = {"name": [r[0] for r in rows], "count": [r[1] for r in rows], "ratio": [r[2] for r in rows]}
    for i in range(extra_cols):
        data[f"extra_column_{i}"] = [r[1] * i for r in rows]
    text = render_table(pl.DataFrame(data))
    assert all(len(line) <= 72 for line in text.splitlines())


def test_table_values_and_alignment():
    text = render_table(pl.DataFrame({"who": ["a", "bb"], "n": [5, 12345]}))
    lines = text.splitlines()
    assert lines[0].split() == ["who", "n"]
    assert lines[2].startswith("a ") and lines[2].endswith("5")       # text left, numbers right
    assert lines[3].endswith("12,345")
    assert len(lines[2]) == len(lines[3])


def test_wide_table_is_split_into_blocks_that_repeat_the_key():
    frame = pl.DataFrame({"key": ["row1", "row2"], **{f"col_{i:02d}": [i, i * 1000] for i in range(20)}})
    text = render_table(frame)
    blocks = text.split("\n\n")
    assert len(blocks) > 1
    assert all(b.splitlines()[0].startswith("key") for b in blocks)
    assert "col_19" in text and all(len(l) <= 72 for l in text.splitlines())


def test_bars_are_proportional():
    frame = pl.DataFrame({"x": ["one", "two", "four"], "v": [1, 2, 4]})
    lines = render_bars(frame, "x", "v").splitlines()
    counts = [l.count("#") for l in lines]
    assert counts[2] == 2 * counts[1] == 4 * counts[0] or abs(counts[2] - 4 * counts[0]) <= 2
    assert all(len(l) <= 72 for l in lines)
    assert lines[2].endswith(" 4")


def test_line_sketch_places_extremes_in_corners():
    frame = pl.DataFrame({"x": [1, 10, 100], "y": [1.0, 10.0, 100.0], "s": ["a"] * 3})
    lines = render_lines(frame, "x", "y", series="s", logx=True, logy=True, height=5).splitlines()
    plot = [l for l in lines if "|" in l]
    assert plot[0].rstrip().endswith("*") and plot[0].startswith("100")   # top right: (100, 100)
    assert plot[-1].split("|", 1)[1].startswith("*")                       # bottom left: (1, 1)
    assert all(len(l) <= 72 for l in lines)


def test_heatmap_puts_each_value_in_its_cell():
    frame = pl.DataFrame({"rev": ["mainline-6.19", "mainline-6.19", "mapping-types-2026-02"], "imp": ["rdma", "kvm", "rdma"],
                          "v": ["SGT", "-EOPNOTSUPP", "PAL"]})
    lines = render_heatmap(frame, "rev", "imp", "v").splitlines()
    header = lines[0].split()
    assert header[-2:] == ["rdma", "kvm"]
    r0 = lines[2].split()
    r6 = lines[3].split()
    assert r0 == ["mainline-6.19", "SGT", "-EOPNOTSUPP"]
    assert r6 == ["mapping-types-2026-02", "PAL", "."]                                        # missing cell


def test_email_form_rejects_wide_text_and_long_captions():
    with pytest.raises(FigureTextError, match="caption"):
        compose_email("00_tour", "x", "c" * 73, "body")
    with pytest.raises(FigureTextError, match="line 2"):
        compose_email("00_tour", "x", "caption", "ok\n" + "w" * 73)
    text = compose_email("00_tour", "x", "A caption", "body")
    assert text == "A caption\n\nbody\n\nRegenerate: dmabuf-lab run 00_tour\n"
