"""The thread table behind 00_tour: well-formed, and every source a public identifier."""
from __future__ import annotations

import datetime

import polars as pl
import pytest

from runner_support import ROOT
from dmabuf_lab.experiments.thread import (MODULES, REVISION_NAMES, ThreadDataError, load_thread,
                                           revision_modules)


def test_thread_loads_with_dates_in_order_of_revisions():
    t = load_thread(ROOT / "data" / "thread.csv")
    assert t.schema["date"] == pl.Date
    order = {r: i for i, r in enumerate(REVISION_NAMES)}
    designs = ["get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02"]
    first = (t.filter(pl.col("date").is_not_null() & pl.col("revision").is_in(designs))
             .group_by("revision").agg(pl.col("date").min())
             .sort(pl.col("revision").replace_strict(order, return_dtype=pl.Int64)))
    # the designs were posted in this order
    assert first.get_column("revision").to_list() == designs
    assert first.get_column("date").to_list() == sorted(first.get_column("date").to_list())
    # the 2026-02 RFC series is dated 2026-02-17
    assert t.filter(pl.col("revision") == "mapping-types-2026-02").get_column("date").drop_nulls().to_list() == [
        datetime.date(2026, 2, 17)]


def test_every_source_is_a_public_identifier():
    import re

    page = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    t = load_thread(ROOT / "data" / "thread.csv")
    for source in t.get_column("source").drop_nulls().to_list():
        is_msgid = re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", source) is not None
        is_commit = re.fullmatch(r"[0-9a-f]{12,40}", source) is not None
        assert is_msgid or is_commit or f"### [{source}]" in page, source


def test_bad_rows_are_reported_by_line_and_field(tmp_path):
    bad = tmp_path / "thread.csv"
    bad.write_text("date,author,revision,source,subject,proposes\n"
                   "2025-01-07,A,get-pfn,get-pfn-rfc,,fine\n"
                   "2025-13-01,B,get-pfn,get-pfn-rfc,,bad month\n")
    with pytest.raises(ThreadDataError) as err:
        load_thread(bad)
    assert err.value.line == 3 and err.value.field == "date"
    bad.write_text("date,author,revision,source,subject,proposes\n2025-01-07,A,rfc-v9,get-pfn-rfc,,x\n")
    with pytest.raises(ThreadDataError, match="unknown revision 'rfc-v9'"):
        load_thread(bad)
    with pytest.raises(ThreadDataError, match="cannot read"):
        load_thread(tmp_path / "missing.csv")


def test_revision_map_names_every_revision_and_checks_presence(tmp_path):
    (tmp_path / "dmabuf_lab" / "revisions").mkdir(parents=True)
    (tmp_path / "dmabuf_lab" / "revisions" / "rfc_v1.py").write_text("")
    frame = revision_modules(tmp_path)
    assert frame.get_column("revision").to_list() == list(REVISION_NAMES)
    present = dict(zip(frame.get_column("revision"), frame.get_column("module_present")))
    assert present["rfc-v1"] is True and present["get-pfn"] is False
    assert MODULES["rfc-v1"][0] == "dmabuf_lab/revisions/rfc_v1.py"
