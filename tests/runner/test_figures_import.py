"""Importing the figures package leaves Altair's settings alone."""
import subprocess
import sys

CHECK = """
import altair as alt
before = alt.renderers.active
from dmabuf_lab.figures import render_bars, save_figure  # noqa: F401
assert alt.renderers.active == before, (before, alt.renderers.active)
from dmabuf_lab.figures import use_lab_renderer
use_lab_renderer()
assert alt.renderers.active == "dmabuf-lab"
print("OK")
"""


def test_taking_names_from_figures_changes_no_altair_global():
    proc = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "OK" in proc.stdout, proc.stderr[-2000:]
