"""Plain-text renderers: always within 72 columns, and faithful to the numbers."""
from __future__ import annotations

import re

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


# -- split tables keep the columns that name a row ------------------------------------------

def _table_blocks(body: str) -> list[tuple[list[str], list[tuple[str, ...]]]]:
    """Each paragraph of ``body`` that starts with a table header: (headers, rows as cell tuples).

    Column spans come from the rule of dashes under the header.
    """
    blocks = []
    for para in body.split("\n\n"):
        lines = para.splitlines()
        if len(lines) < 2 or not re.fullmatch(r"-+( +-+)*", lines[1].rstrip()):
            continue
        starts = [m.start() for m in re.finditer(r"-+", lines[1])]

        def cells(line):
            return tuple(line[a:b].strip() for a, b in zip(starts, starts[1:] + [None]))

        rows = [cells(l) for l in lines[2:] if not l.startswith("... ")]
        blocks.append((list(cells(lines[0])), rows))
    return blocks


def split_tables(body: str) -> list[list[tuple[list[str], list[tuple]]]]:
    """Runs of adjacent table blocks with the same rows count and the same first column:
    the blocks of one table split for width."""
    groups, current = [], []
    for block in _table_blocks(body):
        if current and (len(block[1]) == len(current[-1][1]) and block[0][:1] == current[-1][0][:1]
                        and [r[0] for r in block[1]] == [r[0] for r in current[-1][1]]):
            current.append(block)
        else:
            if len(current) > 1:
                groups.append(current)
            current = [block]
    if len(current) > 1:
        groups.append(current)
    return groups


def key_problems(group) -> list[str]:
    """What is wrong with one split table: every block must repeat the same leading key
    columns, with the same key cells row by row, and those cells must tell the rows apart."""
    heads = [h for h, _ in group]
    k = 0
    while all(len(h) > k + 1 for h in heads) and len({h[k] for h in heads}) == 1:
        k += 1
    if k == 0:
        return [f"blocks share no leading key column: {[h[:2] for h in heads]}"]
    keys = [[row[:k] for row in rows] for _, rows in group]
    out = []
    if any(kk != keys[0] for kk in keys):
        out.append(f"key cells {heads[0][:k]} differ between blocks")
    if len(set(keys[0])) != len(keys[0]):
        dup = sorted({x for x in keys[0] if keys[0].count(x) > 1})[:3]
        out.append(f"key columns {heads[0][:k]} do not tell the rows apart (repeated: {dup})")
    return out


def test_split_table_repeats_every_key_column():
    frame = pl.DataFrame({"backend": ["reference", "numba"] * 3,
                          "variant": ["correct, window search"] * 4 + ["rfc single pass"] * 2,
                          "ranges": [1000, 1000, 10_000, 10_000, 100_000, 100_000],
                          **{f"measurement_{i}": [1.5 * i] * 6 for i in range(6)}})
    text = render_table(frame)
    groups = split_tables(text)
    assert len(groups) == 1 and len(groups[0]) > 1
    assert all(h[:3] == ["backend", "variant", "ranges"] for h, _ in groups[0])
    assert key_problems(groups[0]) == []
    assert all(len(line) <= 72 for line in text.splitlines())


def test_key_check_catches_a_split_that_keeps_only_the_first_column():
    frame = pl.DataFrame({"backend": ["reference", "numba"] * 2, "variant": ["a", "a", "b", "b"],
                          **{f"measurement_{i}": [1.5 * i] * 4 for i in range(9)}})
    text = render_table(frame, key=["backend"])
    groups = split_tables(text)
    assert groups and any("do not tell the rows apart" in p for p in key_problems(groups[0]))


def test_too_wide_key_prints_one_block_per_row():
    frame = pl.DataFrame({"a": ["x" * 30, "y" * 30], "b": ["p" * 30, "q" * 30], "n": [1, 2],
                          "measurement": [3, 4]})
    text = render_table(frame, key=["a", "b"])
    assert "x" * 30 + " / " + "p" * 30 in text and "y" * 30 + " / " + "q" * 30 in text
    assert all(len(line) <= 72 for line in text.splitlines())


def test_every_exported_table_keeps_its_key_columns(small_build):
    figures = sorted((small_build["build"] / "figures").glob("*/*.txt"))
    assert figures
    problems, split = [], 0
    for path in figures:
        body = path.read_text(encoding="utf-8").split("\n\n", 1)[1].rsplit("\n\nRegenerate:", 1)[0]
        for group in split_tables(body):
            split += 1
            problems += [f"{path.parent.name}/{path.stem}: {p}" for p in key_problems(group)]
    assert not problems, "\n".join(problems)
    assert split > 0       # the check ran on real split tables
