"""The offline site's findings page: ``build/site/findings.html``.

Every finding of ``data/findings.toml`` and every fix the fix history finds, grouped by where it lives, with its
status, the scenarios and unit tests that show it (scenario files are copied
next to the page, under ``litmus/``, so the links work offline and wherever
the build directory is), and its email form.
"""
from __future__ import annotations

import html
from pathlib import Path

from dmabuf_lab.findings.email import finding_email
from dmabuf_lab.findings.fix_findings import all_findings
from dmabuf_lab.findings.registry import REPORTED, groups
from dmabuf_lab.paths import atomic_write_text, lab_root


def write_findings_page(site: Path, page) -> Path:
    """Write ``site/findings.html`` (and the scenario copies); ``page`` wraps the body."""
    from dmabuf_lab.provenance import lab_commit

    findings = all_findings()
    commit = lab_commit().describe()
    root = lab_root()
    parts = [f"<p>{len(findings)} defects the lab reports, grouped by where they live. "
             "Each shows the kernel function and file, the code the model follows, what goes wrong, "
             "the scenario or unit test that shows it, the lab's fix variant and the upstream status. "
             "<code>dmabuf-lab findings --format email ID</code> prints one as a bug report. "
             "Sources: <code>docs/sources.md</code>.</p>"]
    for group, items in groups(findings).items():
        parts.append(f"<h2>{html.escape(group)}</h2>")
        for f in items:
            links = []
            for scenario in f.scenarios:
                src = root / scenario
                name = Path(scenario).name
                if src.is_file():
                    atomic_write_text(site / "litmus" / name, src.read_text(encoding="utf-8"))
                    links.append(f'<a href="litmus/{html.escape(name)}">{html.escape(scenario)}</a>')
                else:
                    links.append(html.escape(scenario))
            links += [f"<code>{html.escape(t)}</code>" for t in f.tests]
            parts.append(
                f'<section id="{html.escape(f.id)}"><h3>{html.escape(f.title)}</h3>'
                "<table>"
                f"<tr><th>id</th><td><code>{html.escape(f.id)}</code></td></tr>"
                f"<tr><th>where</th><td>{html.escape(f.location)}</td></tr>"
                f"<tr><th>code</th><td>{html.escape(f.code)}"
                + (f"<br>Message-ID <code>{html.escape(f.message_id)}</code>" if f.message_id else "")
                + "</td></tr>"
                f"<tr><th>status</th><td>{html.escape(f.status_line)}; {html.escape(REPORTED[f.reported])}"
                "</td></tr>"
                f"<tr><th>what goes wrong</th><td>{html.escape(f.what)}</td></tr>"
                f"<tr><th>shown by</th><td>{'<br>'.join(links)}</td></tr>"
                f"<tr><th>fix variant</th><td><code>{html.escape(f.variant)}</code></td></tr>"
                f"<tr><th>reproduce</th><td><code>{html.escape(f.reproducer)}</code></td></tr>"
                "</table>"
                f"<details><summary>email form</summary><pre>{html.escape(finding_email(f, commit))}</pre>"
                "</details></section>")
    target = site / "findings.html"
    atomic_write_text(target, page("dmabuf-lab findings",
                                   '<nav><a href="index.html">&larr; all notebooks</a></nav>' + "\n".join(parts),
                                   static_prefix="_static/"))
    return target
