"""build/site renders in headless Chromium with the network off: every chart drawn, no errors."""
from __future__ import annotations

import pytest

from headless_browser import Browser, ensure_chromium


@pytest.fixture(scope="module")
def browser():
    b = Browser(ensure_chromium())
    yield b
    b.close()


def _pages(site):
    pages = sorted(site.rglob("*.html"))
    assert site / "index.html" in pages
    return pages


def test_site_links_every_notebook(small_build):
    site = small_build["build"] / "site"
    index = (site / "index.html").read_text(encoding="utf-8")
    for name in small_build["results"]:
        assert f'href="notebooks/{name}.html"' in index, name
        assert (site / "notebooks" / f"{name}.html").exists()


def test_every_chart_renders_offline(small_build, browser):
    site = small_build["build"] / "site"
    figures = list((small_build["build"] / "figures").glob("*/*.vl.json"))
    total = gallery = 0
    for page in _pages(site):
        report = browser.open(page.as_uri())
        assert report.charts_done, f"{page}: charts never finished"
        assert report.charts_drawn == report.charts_total, \
            f"{page}: {report.charts_drawn} of {report.charts_total} charts drawn"
        assert report.console_errors == [], f"{page}: {report.console_errors}"
        assert report.network_requests == [], f"{page}: tried the network: {report.network_requests}"
        if page.name == "figures.html":
            gallery = report.charts_total
        total += report.charts_total
    # the gallery draws every exported figure; notebook pages add the charts they display
    assert gallery == len(figures) > 0
    assert total > gallery


def test_checker_notices_broken_and_networked_pages(tmp_path, small_build, browser):
    """The check above must be able to fail: a bad spec and a CDN script are caught."""
    static = small_build["build"] / "site" / "_static"
    bad_spec = tmp_path / "bad.html"
    bad_spec.write_text(
        '<html><body><div class="vega-chart" id="c1"></div>'
        '<script type="application/json" class="vega-spec" data-for="c1">'
        '{"mark": "no-such-mark", "data": {"values": []}}</script>'
        f'<script src="{(static / "vega-bundle.js").as_uri()}"></script>'
        f'<script src="{(static / "render-charts.js").as_uri()}"></script></body></html>')
    report = browser.open(bad_spec.as_uri())
    assert report.charts_total == 1 and report.charts_drawn == 0
    assert any("chart c1 failed" in e for e in report.console_errors), report.console_errors

    cdn = tmp_path / "cdn.html"
    cdn.write_text('<html><body><script src="https://cdn.jsdelivr.net/npm/vega@5"></script>'
                   '<script>document.documentElement.dataset.chartsDone = "yes";</script></body></html>')
    report = browser.open(cdn.as_uri(), wait=5)
    assert report.network_requests == ["https://cdn.jsdelivr.net/npm/vega@5"]
    assert report.console_errors
