"""``dmabuf-lab twins``: per C function, each revision's twin and where it was read."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from dmabuf_lab.cli import main
from dmabuf_lab.revisions.base import current_session
from dmabuf_lab.twin_index.modelled import collect, run_every_scenario
from dmabuf_lab.twin_index.site_page import write_twins_page


@pytest.fixture(scope="module")
def revisions_that_map_through_the_helper():
    """Revisions whose litmus runs call dma_buf_phys_vec_to_sgt(), seen by a hook, not by the index."""
    from dmabuf_lab.core import phys_vec_to_sgt

    seen = set()
    real = phys_vec_to_sgt.dma_buf_phys_vec_to_sgt.__code__

    def spy():
        import sys

        def hook(frame, event, arg):
            if event == "call" and frame.f_code is real:
                seen.add(current_session().revision.name)
        old = sys.getprofile()
        sys.setprofile(hook)
        try:
            run_every_scenario()
        finally:
            sys.setprofile(old)
    spy()
    assert len(seen) > 3
    return seen


def test_names_every_revision_that_models_dma_buf_phys_vec_to_sgt(capsys, revisions_that_map_through_the_helper):
    assert main(["twins", "dma_buf_phys_vec_to_sgt"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("dma_buf_phys_vec_to_sgt()  drivers/dma-buf/dma-buf-mapping.c")
    rows = [line.split() for line in out.splitlines() if line.startswith("  ") and line.split()[0] != "read"]
    listed = {r[0] for r in rows}
    assert revisions_that_map_through_the_helper <= listed
    # 7.3 and the rebased branch were read in their own trees, every other revision in 6.19's
    block = out.split("\n  mainline-7.3-rc6")[1].splitlines()
    assert "torvalds/linux@0b9828c7231e" in block[1]
    assert "dmabuf_lab.core.phys_vec_to_sgt:dma_buf_phys_vec_to_sgt" in out
    assert "dmabuf_lab/core/phys_vec_to_sgt.py:" in out


def test_json_rows(capsys):
    assert main(["twins", "dma_buf_phys_vec_to_sgt", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["function"] for r in rows} == {"dma_buf_phys_vec_to_sgt"}
    by_rev = {r["revision"]: r for r in rows}
    assert by_rev["mainline-7.3-rc6"]["source"] == "torvalds/linux@0b9828c7231e"
    assert by_rev["mapping-types-2026-03"]["source"].startswith("jgunthorpe/linux@")
    for r in rows:
        file, line = r["where"].rsplit(":", 1)
        text = (Path(__file__).resolve().parents[2] / file).read_text(encoding="utf-8").splitlines()
        assert text[int(line) - 1].lstrip().startswith("@mirrors("), r


def test_revision_filter_and_posting_rows(capsys):
    assert main(["twins", "--revision", "rfc-v1", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and {r["revision"] for r in rows} == {"rfc-v1"}
    assert any(r["source"] == "posting interconnects-rfc-v1 4/8" and r["function"] == "vfio_pci_match_iov_interconnect"
               for r in rows)


def test_unknown_name_is_one_line_with_a_suggestion(capsys):
    assert main(["twins", "dma_buf_phys_vec_to_sg"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "did you mean dma_buf_phys_vec_to_sgt" in err[0]


def test_unknown_revision(capsys):
    assert main(["twins", "--revision", "rfc-v9"]) == 2
    assert "unknown revision 'rfc-v9'" in capsys.readouterr().err


def test_site_page_has_the_same_rows(tmp_path, capsys):
    assert main(["twins", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    target = write_twins_page(tmp_path, lambda title, body, static_prefix: f"<title>{title}</title>{body}")
    html_text = target.read_text(encoding="utf-8")
    functions = {r["function"] for r in rows}
    assert html_text.count("<section id=") == len(functions)
    assert html_text.count("<tr><td><code>") == len(rows)
    assert '<section id="dma_buf_phys_vec_to_sgt">' in html_text


def test_the_site_build_writes_and_links_the_twin_index(tmp_path):
    from dmabuf_lab.figures.site import build_site

    build_site(tmp_path)
    site = tmp_path / "site"
    assert 'href="twins.html"' in (site / "index.html").read_text(encoding="utf-8")
    page = (site / "twins.html").read_text(encoding="utf-8")
    assert '<section id="dma_buf_phys_vec_to_sgt">' in page
    assert "torvalds/linux@b703b31ea8cd" in page
