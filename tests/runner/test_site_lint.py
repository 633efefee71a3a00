"""No linted page shows a hidden series, a cut label, a raw Polars repr or a table twice.

The lint (site_lint.py) is first shown to catch each problem on a page made
for the purpose, then run over the linted pages of the small build and their
exported charts.
"""
from __future__ import annotations

import json

from site_lint import page_problems, svg_problems


def _chart(values, mark="line", title="t"):
    spec = {"title": title, "data": {"values": values}, "mark": mark,
            "encoding": {"x": {"field": "x", "type": "quantitative"},
                         "y": {"field": "y", "type": "quantitative"},
                         "color": {"field": "c", "type": "nominal"}}}
    return f'<script type="application/json" class="vega-spec" data-for="c1">{json.dumps(spec)}</script>'


def test_the_lint_catches_each_problem(tmp_path):
    same = [{"x": i, "y": i * 2, "c": c} for c in ("a", "b") for i in range(3)]
    assert any("'a' and 'b' draw the same points" in p for p in page_problems(_chart(same)))
    apart = same + [{"x": 9, "y": 1, "c": "b"}]
    assert page_problems(_chart(apart)) == []
    legend = _chart(apart).replace('"color": {"field": "c", "type": "nominal"}',
                                   '"color": {"field": "c", "type": "nominal", "scale": {"domain": ["a", "b", "z"]}}')
    assert any("legend entry 'z' has no mark" in p for p in page_problems(legend))
    cut = [{"x": 1, "y": 1, "c": "mapping-types-2026-02:fix-\u2026"}]
    assert any("ellipsis" in p for p in page_problems(_chart(cut, mark="bar")))
    assert any("Polars repr" in p for p in page_problems('<pre class="stream stdout">shape: (9, 5)\n</pre>'))
    table = '<table class="lab-table"><tr><td>1</td></tr></table>'
    assert any("shown 2 times" in p for p in page_problems(table + "<p>x</p>" + table))
    block = '<pre class="stream stdout">a\nb\nc\n</pre>'
    assert any("printed block shown 2 times" in p for p in page_problems(block * 2))
    # the code behind an output is folded on the page and may repeat what it prints
    assert page_problems('<pre class="source">shape: (9, 5)</pre>') == []
    svg = tmp_path / "f.svg"
    svg.write_text('<svg><text>mapping-types-2026-02:fix-dynamic-a\u2026</text></svg>')
    assert svg_problems(svg)


#: The pages held to the lint so far (the others are to follow as they are cleaned up).
LINTED = ("00_tour", "02_get_pfn_debate", "08_negotiation_matrix", "11_litmus", "13_races", "14_releases")


def test_no_linted_page_or_its_exported_charts_has_them(small_build):
    build = small_build["build"]
    problems = []
    for name in LINTED:
        page = build / "site" / "notebooks" / f"{name}.html"
        problems += page_problems(page.read_text(encoding="utf-8"), name)
        for svg in sorted((build / "figures" / name).glob("*.svg")):
            problems += svg_problems(svg)
    assert not problems, "\n".join(problems)
