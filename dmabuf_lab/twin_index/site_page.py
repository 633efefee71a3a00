"""The offline site's twin index: ``build/site/twins.html``.

The same rows as ``dmabuf-lab twins`` (:func:`.table.twin_rows`), one table
per C function, so a reader holding the kernel tree can audit every twin.
"""
from __future__ import annotations

import html
from pathlib import Path

from dmabuf_lab.paths import atomic_write_text

from .table import by_function, twin_rows


def twins_body(rows) -> str:
    """The page body for ``rows``."""
    groups = by_function(rows)
    parts = [f"<p>{len(groups)} kernel C functions the lab models, with each revision's Python twin and "
             "the public tree commit or posting it was read in. "
             "<code>dmabuf-lab twins NAME</code> prints one. Pin forms: <code>docs/sources.md</code>.</p>"]
    for function, items in groups.items():
        parts.append(f'<section id="{html.escape(function)}"><h3><code>{html.escape(function)}()</code> '
                     f"<small>{html.escape(', '.join(dict.fromkeys(r.path for r in items)))}</small></h3><table>"
                     "<tr><th>revision</th><th>twin</th><th>file:line</th><th>read at</th><th>gap</th></tr>")
        for r in items:
            parts.append(f"<tr><td><code>{html.escape(r.revision)}</code></td>"
                         f"<td><code>{html.escape(r.twin)}</code></td>"
                         f"<td><code>{html.escape(r.where)}</code></td>"
                         f"<td><code>{html.escape(r.source)}</code></td>"
                         f"<td>{html.escape(r.gap)}</td></tr>")
        parts.append("</table></section>")
    return "\n".join(parts)


def write_twins_page(site: Path, page) -> Path:
    """Write ``site/twins.html``; ``page`` wraps the body."""
    target = site / "twins.html"
    atomic_write_text(target, page("dmabuf-lab twins",
                                   '<nav><a href="index.html">&larr; all notebooks</a></nav>'
                                   + twins_body(twin_rows()), static_prefix="_static/"))
    return target
