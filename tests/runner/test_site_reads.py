"""The offline site reads like a paper, at 1280 and 1920 px, in headless Chromium.

Each notebook page leads with its question and its answer; code is folded,
not removed; tables are complete lab tables (no Polars reprs); charts fit
the window or scroll inside their own box with the legend in view; every
figure a notebook exports is drawn on its page; no output carries an
absolute path of the machine that built it.  Screenshots of every page go to
the test's temporary directory (printed on failure) for a human to look at.
"""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest

from headless_browser import Browser, ensure_chromium
from runner_support import ROOT

WIDTHS = (1280, 1920)


@pytest.fixture(scope="module")
def browser():
    b = Browser(ensure_chromium())
    yield b
    b.close()


def _notebook_pages(small_build) -> list[Path]:
    pages = sorted((small_build["build"] / "site" / "notebooks").glob("*.html"))
    assert len(pages) == len(small_build["results"]) > 0
    return pages


class _Sections(HTMLParser):
    """The classes of the top-level <section>s, in order, and the <details> count."""

    def __init__(self):
        super().__init__()
        self.sections: list[str] = []
        self.details = 0
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            if self.depth == 0:
                self.sections.append(dict(attrs).get("class", ""))
            self.depth += 1
        elif tag == "details":
            self.details += 1

    def handle_endtag(self, tag):
        if tag == "section":
            self.depth -= 1


def _chart_names(html: str) -> set[str]:
    names = set()
    for payload in re.findall(r'<script type="application/json" class="vega-spec"[^>]*>(.*?)</script>',
                              html, re.S):
        spec = json.loads(payload.replace("<\\/", "</"))
        meta = spec.get("usermeta", {}).get("dmabuf_lab", {})
        if meta.get("name"):
            names.add(meta["name"])
    return names


def test_every_page_leads_with_question_and_answer_and_folds_code(small_build):
    for page in _notebook_pages(small_build):
        html = page.read_text(encoding="utf-8")
        parsed = _Sections()
        parsed.feed(html)
        assert parsed.sections[:2] == ["md question", "md answer"], (page.name, parsed.sections[:3])
        code_cells = parsed.sections.count("code")
        assert code_cells > 0 and parsed.details >= code_cells - html.count('<section class="code"><div'), page
        assert '<pre class="source">' in html           # folded, not removed


def test_every_exported_figure_is_drawn_on_its_notebook_page(small_build):
    build = small_build["build"]
    for page in _notebook_pages(small_build):
        exported = {p.name[:-len(".vl.json")] for p in (build / "figures" / page.stem).glob("*.vl.json")}
        drawn = _chart_names(page.read_text(encoding="utf-8"))
        assert exported <= drawn, f"{page.name}: exported but not on the page: {sorted(exported - drawn)}"


def test_no_absolute_build_path_in_any_output(small_build):
    build = small_build["build"]
    needles = {str(build), str(ROOT), str(Path(build).resolve()), str(ROOT.resolve())}
    checked = 0
    for folder in ("site", "notebooks", "figures"):
        for path in (build / folder).rglob("*"):
            if not path.is_file() or path.suffix in (".png", ".parquet", ".js"):
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            for needle in needles:
                assert needle not in text, f"{path.relative_to(build)} contains {needle}"
            checked += 1
    assert checked > 50


@pytest.mark.parametrize("width", WIDTHS)
def test_pages_fit_the_window_and_tables_are_complete(small_build, browser, width, tmp_path_factory):
    shots = tmp_path_factory.mktemp(f"screenshots-{width}")
    site = small_build["build"] / "site"
    problems = []
    tables = 0
    for page in [site / "index.html", site / "figures.html", *_notebook_pages(small_build)]:
        report = browser.open(page.as_uri(), width=width, layout=True,
                              screenshot=str(shots / f"{page.stem}.png"))
        assert report.charts_done and report.charts_drawn == report.charts_total, page.name
        layout = report.layout
        view = layout["viewport"]
        if layout["pageScrollWidth"] > view + 1:
            problems.append(f"{page.name}: the page scrolls sideways ({layout['pageScrollWidth']} > {view})")
        for chart in layout["charts"]:
            box = chart["box"]
            if box["right"] > view + 1:
                problems.append(f"{page.name} {chart['id']}: box ends at {box['right']:.0f} px > {view}")
            if chart["scrollWidth"] > chart["clientWidth"] + 1:
                if chart["overflowX"] not in ("auto", "scroll"):
                    problems.append(f"{page.name} {chart['id']}: cut off, not scrollable")
                for legend in chart["legends"]:
                    if legend["right"] > box["right"] + 1 or legend["left"] < box["left"] - 1:
                        problems.append(f"{page.name} {chart['id']}: legend outside the visible box")
        for t in layout["tables"]:
            tables += 1
            if not t["rows"] == t["shown"] == t["drawn"]:
                problems.append(f"{page.name}: table {t['columns'][:3]} draws {t['drawn']} of {t['rows']} rows")
            if t["right"] > view + 1:
                problems.append(f"{page.name}: table {t['columns'][:3]} ends at {t['right']:.0f} px > {view}")
        if layout["polarsTables"]:
            problems.append(f"{page.name}: {layout['polarsTables']} raw Polars table(s)")
    assert not problems, f"screenshots in {shots}:\n" + "\n".join(problems)
    assert tables > 20


def test_who_orders_table_shows_every_row_of_its_frame(small_build, browser):
    """08's 'whose order wins' table against the frame the notebook exported."""
    build = small_build["build"]
    frame = pl.read_parquet(build / "figures" / "08_negotiation_matrix" / "who_orders.parquet")
    page = build / "site" / "notebooks" / "08_negotiation_matrix.html"
    report = browser.open(page.as_uri(), width=1280, layout=True)
    shown = [t for t in report.layout["tables"] if t["columns"][:2] == ["revision", "importer_prefers"]]
    assert shown, [t["columns"] for t in report.layout["tables"]]
    assert shown[0]["drawn"] == frame.height >= 14


def test_layout_check_catches_a_cut_chart_and_a_cut_table(tmp_path, small_build, browser):
    """The measurements above must be able to fail."""
    static = small_build["build"] / "site" / "_static"
    spec = {"data": {"values": [{"x": i, "y": i} for i in range(3)]}, "mark": "point", "width": 3000,
            "encoding": {"x": {"field": "x", "type": "quantitative"},
                         "y": {"field": "y", "type": "quantitative"}}}
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<html><body><div class="vega-chart" id="c1" style="overflow:visible"></div>'
        f'<script type="application/json" class="vega-spec" data-for="c1">{json.dumps(spec)}</script>'
        '<div class="lab-frame" data-rows="14" data-shown="14"><table><thead><tr><th>a</th></tr></thead>'
        '<tbody>' + "<tr><td>1</td></tr>" * 10 + '</tbody></table></div>'
        f'<script src="{(static / "vega-bundle.js").as_uri()}"></script>'
        f'<script src="{(static / "render-charts.js").as_uri()}"></script></body></html>')
    report = browser.open(bad.as_uri(), width=1280, layout=True)
    layout = report.layout
    assert layout["pageScrollWidth"] > layout["viewport"] or \
        layout["charts"][0]["box"]["right"] > layout["viewport"]
    assert layout["tables"][0]["drawn"] == 10 != layout["tables"][0]["rows"]
