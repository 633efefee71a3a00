"""The offline HTML site: ``build/site/index.html`` and one page per notebook.

Layout::

    build/site/index.html            every notebook (status, time, figures)
    build/site/figures.html          every exported figure, drawn live
    build/site/findings.html         every defect the lab reports (dmabuf_lab.findings)
    build/site/twins.html            every Python twin and the C it mirrors (dmabuf_lab.twin_index)
    build/site/notebooks/<nb>.html   each executed notebook
    build/site/_static/vega-bundle.js    Vega + Vega-Lite + vega-embed (from vl-convert)
    build/site/_static/render-charts.js  draws every chart placeholder

No page loads anything from the network.  After drawing, ``render-charts.js``
sets ``data-charts-rendered`` / ``data-charts-failed`` on ``<html>`` so a
headless browser can check the result.
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from dmabuf_lab.figures import vega
from dmabuf_lab.figures.notebook_html import NotebookPage, page
from dmabuf_lab.paths import atomic_write_text

RENDER_JS = r"""
(function () {
  var root = document.documentElement;
  var nodes = document.querySelectorAll('.vega-chart');
  root.dataset.chartsTotal = String(nodes.length);
  var ok = 0, failed = 0;
  function finish() {
    if (ok + failed === nodes.length) {
      root.dataset.chartsRendered = String(ok);
      root.dataset.chartsFailed = String(failed);
      root.dataset.chartsDone = 'yes';
    }
  }
  if (typeof vegaEmbed !== 'function') {
    failed = nodes.length;
    console.error('dmabuf-lab: vega-embed bundle did not load');
    finish();
    root.dataset.chartsDone = 'yes';
    return;
  }
  nodes.forEach(function (el) {
    var holder = document.querySelector('script.vega-spec[data-for="' + el.id + '"]');
    var spec;
    try { spec = JSON.parse(holder.textContent); }
    catch (e) { failed++; console.error('dmabuf-lab: bad spec for ' + el.id + ': ' + e); finish(); return; }
    function draw(spec, moved) {
      return vegaEmbed(el, spec, {actions: false, renderer: 'svg'}).then(function () {
        // A chart wider than its box scrolls inside it; its legend goes below
        // the plot so that it stays in view while the plot is scrolled.
        if (!moved && el.scrollWidth > el.clientWidth + 1 && el.querySelector('.role-legend')) {
          var copy = JSON.parse(JSON.stringify(spec));
          copy.config = copy.config || {};
          copy.config.legend = Object.assign({}, copy.config.legend || {}, {orient: 'bottom'});
          el.dataset.legendMoved = 'yes';
          return draw(copy, true);
        }
      });
    }
    draw(spec, false).then(function () {
      ok++; el.dataset.rendered = 'yes'; finish();
    }).catch(function (e) {
      failed++; el.dataset.rendered = 'no';
      var note = document.createElement('pre'); note.className = 'chart-error';
      note.textContent = 'chart failed: ' + e; el.appendChild(note);
      console.error('dmabuf-lab: chart ' + el.id + ' failed: ' + e);
      finish();
    });
  });
  finish();
})();
"""


@dataclass
class SiteReport:
    index: Path
    pages: dict[str, Path] = field(default_factory=dict)
    charts: int = 0
    offline_problems: dict[str, int] = field(default_factory=dict)


def _write_static(static: Path) -> None:
    stamp = static / "vega-bundle.version"
    want = json.dumps({"vl": vega.vegalite_version(), "vega": vega.vl_convert.get_vega_version(),
                       "embed": vega.vl_convert.get_vega_embed_version()})
    bundle = static / "vega-bundle.js"
    if not bundle.exists() or not stamp.exists() or stamp.read_text(encoding="utf-8") != want:
        atomic_write_text(bundle, vega.javascript_bundle())
        atomic_write_text(stamp, want)
    atomic_write_text(static / "render-charts.js", RENDER_JS)


def _status(build: Path) -> dict:
    try:
        return json.loads((build / "run-status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _figures(build: Path) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    for spec in sorted((build / "figures").glob("*/*.vl.json")):
        out.setdefault(spec.parent.name, []).append(spec)
    return out


def _figure_caption(spec: dict, fallback: str) -> str:
    return spec.get("usermeta", {}).get("dmabuf_lab", {}).get("caption") or fallback


def _when(stamp: str | None) -> str:
    """``2026-12-07T11:20:05Z`` as ``2026-12-07 11:20:05 UTC``."""
    if not stamp or len(stamp) < 19:
        return str(stamp or "an unknown time")
    return f"{stamp[:10]} {stamp[11:19]} UTC"


def failed_banner(st: dict) -> str:
    """"failed at <time>, showing the run of <time>" for a notebook whose last run failed."""
    from dmabuf_lab.runner.last_good import shown_time

    text = f"failed at {_when(st.get('when'))}"
    shown = shown_time(st)
    if shown is not None and shown != st.get("when"):
        text += f", showing the run of {_when(shown)}"
    return text


def build_site(build: Path, *, notebook_names: list[str] | None = None) -> SiteReport:
    """(Re)build ``build/site`` from ``build/notebooks/*.ipynb`` and ``build/figures``."""
    build = Path(build).resolve()
    site = build / "site"
    _write_static(site / "_static")
    status = _status(build)
    figures = _figures(build)
    executed = sorted(p for p in (build / "notebooks").glob("*.ipynb") if not p.name.startswith("."))
    names = sorted(set(notebook_names or []) | {p.stem for p in executed})
    report = SiteReport(index=site / "index.html")

    rows = []
    for name in names:
        ipynb = build / "notebooks" / f"{name}.ipynb"
        st = status.get(name, {})
        state = st.get("status", "not run")
        cls = "ok" if state == "ok" else "failed"
        problem = f" &mdash; {html.escape(st['problem'])}" if st.get("problem") else ""
        if state == "failed":
            state = failed_banner(st)
        secs = f"{st['seconds']:.1f} s" if "seconds" in st else ""
        title = name
        if ipynb.exists():
            nb = nbformat.read(ipynb, as_version=4)
            pg = NotebookPage(nb, name=name, static_prefix="../_static/", index_href="../index.html")
            title = pg.title
            status_line = f'<span class="{cls}">{html.escape(state)}</span>{problem}'
            target = site / "notebooks" / f"{name}.html"
            atomic_write_text(target, pg.render(status_line=status_line))
            report.pages[name] = target
            report.charts += pg.charts
            if pg.offline_problems:
                report.offline_problems[name] = pg.offline_problems
            link = f'<a href="notebooks/{name}.html">{html.escape(title)}</a>'
            ipynb_link = f' (<a href="../notebooks/{name}.ipynb">ipynb</a>)'
        else:
            link, ipynb_link = html.escape(title), ""
        figs = figures.get(name, [])
        fig_links = ", ".join(f'<a href="figures.html#{name}-{p.name[:-len(".vl.json")]}">'
                              f'{html.escape(p.name[:-len(".vl.json")])}</a>' for p in figs)
        rows.append(f"<tr><td><code>{html.escape(name)}</code></td><td>{link}{ipynb_link}</td>"
                    f'<td class="{cls}">{html.escape(state)}{problem}</td><td>{secs}</td>'
                    f"<td>{fig_links}</td></tr>")

    fig_parts = []
    for nb_name, specs in figures.items():
        fig_parts.append(f"<h2 id=\"{nb_name}\"><code>{html.escape(nb_name)}</code></h2>")
        for path in specs:
            fig = path.name[:-len(".vl.json")]
            spec = json.loads(path.read_text(encoding="utf-8"))
            report.charts += 1
            cid = f"fig-{nb_name}-{fig}"
            payload = json.dumps(spec).replace("</", "<\\/")
            files = " ".join(f'<a href="../figures/{nb_name}/{fig}.{ext}">{ext}</a>'
                             for ext in ("svg", "png", "txt", "csv", "parquet", "vl.json"))
            fig_parts.append(
                f'<section id="{nb_name}-{fig}"><h3>{html.escape(_figure_caption(spec, fig))}</h3>'
                f'<div class="vega-chart" id="{cid}"></div>'
                f'<script type="application/json" class="vega-spec" data-for="{cid}">{payload}</script>'
                f"<p><code>dmabuf-lab export {nb_name}/{fig} --format email</code> &middot; {files}</p>"
                "</section>")
    atomic_write_text(site / "figures.html",
                      page("dmabuf-lab figures", '<nav><a href="index.html">&larr; all notebooks</a></nav>'
                           + "\n".join(fig_parts or ["<p>No figures yet.</p>"]), static_prefix="_static/"))

    from dmabuf_lab.findings.site_page import write_findings_page
    write_findings_page(site, page)
    from dmabuf_lab.twin_index.site_page import write_twins_page
    write_twins_page(site, page)

    table = ("<table><tr><th>notebook</th><th>title</th><th>last run</th><th>time</th>"
             "<th>figures</th></tr>\n" + "\n".join(rows) + "</table>")
    intro = ("<p>Every notebook of the lab, executed by <code>dmabuf-lab run</code>. "
             'All figures: <a href="figures.html">figures.html</a>. '
             'What the lab found: <a href="findings.html">findings.html</a>. '
             'Which C each twin mirrors: <a href="twins.html">twins.html</a>. '
             "This site needs no network: charts are drawn by a local copy of Vega.</p>")
    atomic_write_text(report.index, page("dmabuf-lab notebooks", intro + table, static_prefix="_static/"))
    return report
