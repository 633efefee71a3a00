"""Vega-Lite plumbing shared by the exporters and the offline site.

Altair writes specs for one Vega-Lite version; vl-convert renders them
without a browser and also ships the matching Vega, Vega-Lite and
vega-embed JavaScript, which the site bundles so it works with no network.
"""
from __future__ import annotations

import functools
import importlib
import itertools
import json
import re

import altair as alt
import vl_convert

VEGALITE_MIME = "application/vnd.vegalite.v{major}+json"
_MIME_RE = re.compile(r"^application/vnd\.vegalite\.v\d+[.+]json$")


def is_vegalite_mime(key: str) -> bool:
    """True for Jupyter output keys that carry a Vega-Lite spec."""
    return bool(_MIME_RE.match(key))


@functools.lru_cache(maxsize=None)
def vegalite_version() -> str | None:
    """The ``major.minor`` vl-convert should use for Altair's specs (None = its newest)."""
    m = re.match(r"v?(\d+)\.(\d+)", alt.SCHEMA_VERSION)
    if not m:
        return None
    want = f"{m.group(1)}.{m.group(2)}"
    return want if want in vl_convert.get_vegalite_versions() else None


def vegalite_mime() -> str:
    """The output key this lab stores charts under in executed notebooks."""
    return VEGALITE_MIME.format(major=alt.SCHEMA_VERSION.lstrip("v").split(".")[0])


def to_spec(chart) -> dict:
    """A self-contained Vega-Lite spec (data inline) from a chart or a dict."""
    spec = chart if isinstance(chart, dict) else chart.to_dict()
    return json.loads(json.dumps(spec))


def to_svg(spec: dict) -> str:
    return vl_convert.vegalite_to_svg(spec, vl_version=vegalite_version())


def to_png(spec: dict, scale: float = 2.0) -> bytes:
    return vl_convert.vegalite_to_png(spec, vl_version=vegalite_version(), scale=scale)


def javascript_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script that defines ``window.vegaEmbed``."""
    return vl_convert.javascript_bundle(vl_version=vegalite_version())


_ALTAIR_DIV = re.compile(r"altair-viz-[0-9a-f]{32}")
_CHART_NUMBERS = itertools.count(1)


def _lab_renderer(spec: dict, **meta) -> dict:
    """Altair renderer: Altair's own HTML for JupyterLab plus the raw spec for the site."""
    major = alt.SCHEMA_VERSION.lstrip("v").split(".")[0]
    display = importlib.import_module(f"altair.vegalite.v{major}.display")
    bundle = dict(display.html_renderer(spec, **meta))
    html = bundle.get("text/html")
    if isinstance(html, str):
        # Altair names the chart's <div> with a random uuid; a counter keeps re-runs identical.
        chart = next(_CHART_NUMBERS)
        bundle["text/html"] = _ALTAIR_DIV.sub(f"altair-viz-{chart}", html)
    bundle[vegalite_mime()] = spec
    return bundle


def use_lab_renderer() -> None:
    """Make every chart displayed in a notebook carry its spec (for the offline site)."""
    if "dmabuf-lab" not in alt.renderers.names():
        alt.renderers.register("dmabuf-lab", _lab_renderer)
    if alt.renderers.active != "dmabuf-lab":
        alt.renderers.enable("dmabuf-lab")
