"""The thread table behind 00_tour: well-formed, and checked against the seeds where present."""
from __future__ import annotations

import datetime

import polars as pl
import pytest

from runner_support import ROOT
from dmabuf_lab.experiments.thread import MODULES, ThreadDataError, load_thread, revision_modules

SEEDS = ROOT.parent / "shared" / "seeds"


def test_thread_loads_with_dates_in_order_of_revisions():
    t = load_thread(ROOT / "data" / "thread.csv")
    assert t.schema["date"] == pl.Date
    first = t.filter(pl.col("date").is_not_null()).group_by("revision").agg(pl.col("date").min()).sort("revision")
    # revisions R1..R6 were posted in that order
    assert first.get_column("date").to_list() == sorted(first.get_column("date").to_list())
    # the R6 series date from the revisions fact sheet
    assert t.filter(pl.col("revision") == "R6").get_column("date").drop_nulls().to_list() == [
        datetime.date(2026, 2, 17)]


def test_thread_rows_match_the_seed_files():
    if not SEEDS.is_dir():
        pytest.skip("the seed messages are not next to this checkout")
    t = load_thread(ROOT / "data" / "thread.csv")
    for row in t.filter(pl.col("source").str.contains(r"^\d{3}$")).iter_rows(named=True):
        seed = next(SEEDS.glob(f"{row['source']}_*.txt"))
        text = seed.read_text(encoding="utf-8")
        first, last = row["author"].split()[0], row["author"].split()[-1]
        assert first in text or last in text, f"{row['author']} does not appear in {seed.name}"
        if row["subject"]:
            subject = row["subject"].split("] ", 1)[-1]
            assert subject[:40] in text.replace("\n", " "), f"subject not in {seed.name}: {subject}"


def test_bad_rows_are_reported_by_line_and_field(tmp_path):
    bad = tmp_path / "thread.csv"
    bad.write_text("date,author,revision,source,subject,proposes\n"
                   "2025-01-07,A,R1,004,,fine\n"
                   "2025-13-01,B,R1,004,,bad month\n")
    with pytest.raises(ThreadDataError) as err:
        load_thread(bad)
    assert err.value.line == 3 and err.value.field == "date"
    bad.write_text("date,author,revision,source,subject,proposes\n2025-01-07,A,R99,004,,x\n")
    with pytest.raises(ThreadDataError, match="unknown revision 'R99'"):
        load_thread(bad)
    with pytest.raises(ThreadDataError, match="cannot read"):
        load_thread(tmp_path / "missing.csv")


def test_revision_map_names_every_revision_and_checks_presence(tmp_path):
    (tmp_path / "dmabuf_lab" / "revisions").mkdir(parents=True)
    (tmp_path / "dmabuf_lab" / "revisions" / "rfc_v1.py").write_text("")
    frame = revision_modules(tmp_path)
    assert frame.get_column("revision").to_list() == [f"R{i}" for i in range(10)]
    present = dict(zip(frame.get_column("revision"), frame.get_column("module_present")))
    assert present["R3"] is True and present["R1"] is False
    assert MODULES["R3"][0] == "dmabuf_lab/revisions/rfc_v1.py"
