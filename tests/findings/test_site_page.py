"""The offline site's findings page lists every finding and links its scenarios."""
from __future__ import annotations

import re

from dmabuf_lab.figures.notebook_html import page
from dmabuf_lab.findings.registry import load_findings
from dmabuf_lab.findings.site_page import write_findings_page


def test_findings_page_lists_all_with_working_scenario_links(tmp_path):
    target = write_findings_page(tmp_path, page)
    text = target.read_text(encoding="utf-8")
    findings = load_findings()
    for f in findings:
        assert f'<section id="{f.id}">' in text
        for scenario in f.scenarios:
            name = scenario.rsplit("/", 1)[1]
            assert f'href="litmus/{name}"' in text
            assert (tmp_path / "litmus" / name).read_text(encoding="utf-8").startswith("question")
    assert "e98137f0a874" in text and "CVE-2026-31468" in text
    assert not re.search(r'(src|href)="https?://', text)


def test_each_finding_states_its_status_once_and_its_location(tmp_path):
    text = write_findings_page(tmp_path, page).read_text(encoding="utf-8")
    for f in load_findings():
        table = text.split(f'<section id="{f.id}">', 1)[1].split("<details>", 1)[0]
        assert table.count("still present in the newest source found") <= 1, f.id
        assert table.count("<tr><th>status</th>") == 1
        assert ("lines unknown" in table) != bool(f.lines), f.id
