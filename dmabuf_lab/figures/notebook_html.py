"""Render an executed notebook as a static HTML page that works offline.

The page opens with the notebook's question (its first markdown cell) and
its answer (markdown cells tagged ``answer``, and the outputs of code cells
tagged ``answer``, so that an answer stating a count is computed from the
frame it counts); then the walk-through, with
each code cell's source folded under a summary line and its outputs shown.
Markdown cells go through markdown-it.  A chart output becomes a placeholder holding its Vega-Lite spec;
``render-charts.js`` draws it with the locally bundled vega-embed.  Outputs
that would need the network (Altair's CDN-loading HTML without a spec) are
replaced by a visible notice and counted, so tests can catch them.
"""
from __future__ import annotations

import base64
import html
import json
import re

from markdown_it import MarkdownIt

from dmabuf_lab.figures.vega import is_vegalite_mime
from dmabuf_lab.paths import public_line

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_NETWORK_HTML = re.compile(r"<script[^>]+src=[\"']https?://|cdn\.jsdelivr|requirejs\.config", re.I)
_md = MarkdownIt("commonmark", {"html": True}).enable("table")


def _pre(text: str, cls: str) -> str:
    return f'<pre class="{cls}">{html.escape(_ANSI.sub("", text))}</pre>'


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


class NotebookPage:
    """One notebook turned into HTML; ``charts`` counts the chart placeholders."""

    def __init__(self, nb, *, name: str, static_prefix: str, index_href: str):
        self.nb = nb
        self.name = name
        self.static_prefix = static_prefix
        self.index_href = index_href
        self.charts = 0
        self.offline_problems = 0

    @property
    def title(self) -> str:
        for cell in self.nb.cells:
            if cell.cell_type == "markdown":
                for line in cell.source.splitlines():
                    if line.startswith("#"):
                        return line.lstrip("#").strip()
        return self.name

    def _chart(self, spec) -> str:
        self.charts += 1
        chart_id = f"chart-{self.charts}"
        payload = json.dumps(spec).replace("</", "<\\/")
        return (f'<div class="vega-chart" id="{chart_id}"></div>'
                f'<script type="application/json" class="vega-spec" data-for="{chart_id}">{payload}</script>')

    def _output(self, out) -> str:
        kind = out.get("output_type")
        if kind == "stream":
            return _pre(_text(out.get("text", "")), f"stream {out.get('name', 'stdout')}")
        if kind == "error":
            # one line, no traceback: the page is published; the log and the .ipynb have the rest
            line = public_line(_ANSI.sub("", f"{out.get('ename')}: {out.get('evalue')}"))
            return _pre(line, "error")
        data = out.get("data", {})
        for key, value in data.items():
            if is_vegalite_mime(key):
                spec = json.loads(value) if isinstance(value, str) else value
                return self._chart(spec)
        if "text/html" in data:
            body = _text(data["text/html"])
            if _NETWORK_HTML.search(body):
                self.offline_problems += 1
                return ('<div class="offline-problem">This output loads scripts from the network '
                        'and is not shown; display charts through dmabuf_lab.figures.</div>')
            return f'<div class="html-output">{body}</div>'
        if "image/svg+xml" in data:
            return f'<div class="svg-output">{_text(data["image/svg+xml"])}</div>'
        if "image/png" in data:
            png = _text(data["image/png"]).replace("\n", "")
            base64.b64decode(png, validate=True)
            return f'<img class="png-output" alt="figure" src="data:image/png;base64,{png}">'
        if "text/markdown" in data:
            return f'<div class="md-output">{_md.render(_text(data["text/markdown"]))}</div>'
        if "text/plain" in data:
            return _pre(_text(data["text/plain"]), "plain")
        return ""

    def _code(self, cell, outputs: bool = True) -> str:
        """A code cell: its source folded (shown on demand), its outputs open (unless not ``outputs``)."""
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags:
            what = "parameters set by dmabuf-lab run"
        elif "parameters" in tags:
            what = "parameters (defaults)"
        else:
            lines = len(cell.source.splitlines())
            what = f"code, {lines} line{'s' * (lines != 1)}"
        outputs = "".join(self._output(o) for o in cell.get("outputs", [])) if outputs else ""
        source = (f'<details class="source"><summary>{what}</summary>'
                  f'<pre class="source"><code>{html.escape(cell.source)}</code></pre></details>')
        if not cell.source.strip():
            source = ""
        return f'<section class="code">{source}<div class="outputs">{outputs}</div></section>'

    def _lead(self) -> tuple[str, int]:
        """The question (the first markdown cell) and the answer (cells tagged ``answer``).

        Returns the HTML and how many leading cells it used up.
        """
        cells = self.nb.cells
        if not cells or cells[0].cell_type != "markdown":
            return "", 0
        question = _md.render(cells[0].source)
        answers = [c for c in cells if c.cell_type in ("markdown", "code")
                   and "answer" in c.get("metadata", {}).get("tags", [])]
        answer = "".join(_md.render(c.source) if c.cell_type == "markdown"
                         else "".join(self._output(o) for o in c.get("outputs", [])) for c in answers)
        lead = f'<section class="md question">{question}</section>'
        if answer:
            lead += f'<section class="md answer">{answer}</section>'
        return lead, 1

    def body(self) -> str:
        lead, used = self._lead()
        parts = [lead] if lead else []
        for cell in self.nb.cells[used:]:
            tags = cell.get("metadata", {}).get("tags", [])
            if cell.cell_type == "markdown":
                if "answer" in tags:
                    continue  # shown at the top
                parts.append(f'<section class="md">{_md.render(cell.source)}</section>')
            elif cell.cell_type == "code":
                # an answer cell's outputs are the answer at the top; its code stays here
                parts.append(self._code(cell, outputs="answer" not in tags))
        return "\n".join(parts)

    def render(self, *, status_line: str = "") -> str:
        body = self.body()
        return page(self.title, f'<nav><a href="{self.index_href}">&larr; all notebooks</a>'
                    f' &middot; <code>{html.escape(self.name)}</code> {status_line}'
                    ' &middot; <a href="#" class="toggle-code" onclick="var o=!document.body.classList'
                    ".toggle('code-open');document.querySelectorAll('details.source')"
                    '.forEach(function(d){d.open=!o});return false">show / hide all code</a></nav>\n'
                    f"{body}", static_prefix=self.static_prefix, heading=False)


CSS = """
body{font-family:system-ui,sans-serif;max-width:1180px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
pre{background:#f6f8fa;padding:.6em;overflow-x:auto;font-size:13px;line-height:1.3}
pre.error{background:#fdecea;color:#611a15}
pre.source{border-left:3px solid #9ab;margin-top:.2em}
details.source>summary{font-size:12px;color:#567;cursor:pointer}
section.code{margin:.4em 0 .8em}
section.question{border-bottom:1px solid #ccd;margin-bottom:1em}
section.answer{background:#eef6ee;border-left:4px solid #1a7f37;padding:.2em 1em;margin-bottom:1.5em}
section.answer::before{content:"Answer";font-weight:bold;color:#1a7f37;display:block;margin-top:.6em}
.label{font-size:12px;color:#567}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccd;padding:2px 6px}
.lab-frame{margin:.5em 0;max-width:100%}
.lab-frame-scroll{max-width:100%;max-height:36em;overflow:auto;display:inline-block}
.lab-table th{background:#f0f2f5;position:sticky;top:0}
.lab-table .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.lab-table .text{text-align:left}
.lab-table .date{text-align:left;white-space:nowrap}
.lab-frame-note{font-size:12px;color:#567}
.vega-chart{margin:.5em 0;max-width:100%;overflow-x:auto;overflow-y:hidden}
.html-output{max-width:100%;overflow-x:auto}
.offline-problem,.chart-error{background:#fff3cd;padding:.5em}
nav{margin-bottom:1em}.ok{color:#1a7f37}.failed{color:#b3261e}
"""


def page(title: str, body: str, *, static_prefix: str, heading: bool = True) -> str:
    """A complete HTML page that loads only the locally bundled scripts."""
    h1 = f"<h1>{html.escape(title)}</h1>\n" if heading else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head>\n<body>\n"
        f"{h1}{body}\n"
        f'<script src="{static_prefix}vega-bundle.js"></script>\n'
        f'<script src="{static_prefix}render-charts.js"></script>\n'
        "</body></html>\n")
