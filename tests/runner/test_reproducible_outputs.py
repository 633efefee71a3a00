"""Re-running a notebook writes the same files: nothing random in ids or recorded paths."""
from __future__ import annotations

import nbformat
from runner_support import ROOT

from dmabuf_lab.runner.execute import _make_reproducible
from dmabuf_lab.runner.notebook_source import NotebookSource


def test_cell_ids_do_not_change_between_reads(tmp_path):
    src = tmp_path / "00_x.py"
    src.write_text("# %%\na = 1\n\n# %% [markdown]\n# text\n\n# %%\nb = 2\n")
    nb = NotebookSource("00_x", src)
    first, second = nb.read(), nb.read()
    assert [c["id"] for c in first.cells] == ["cell-0", "cell-1", "cell-2"]
    assert [c["id"] for c in second.cells] == ["cell-0", "cell-1", "cell-2"]


def test_papermill_random_bits_are_replaced(tmp_path):
    nb = nbformat.v4.new_notebook()
    injected = nbformat.v4.new_code_cell("small = True")
    injected.metadata["tags"] = ["injected-parameters"]
    plain = nbformat.v4.new_code_cell("x = 1")
    plain["id"] = "cell-0"
    nb.cells = [injected, plain]
    nb.metadata["papermill"] = {"output_path": str(tmp_path / ".00_x.ipynb.1234.tmp.ipynb")}
    tmp = tmp_path / ".00_x.ipynb.1234.tmp.ipynb"
    nbformat.write(nb, tmp)
    _make_reproducible(tmp, tmp_path / "00_x.ipynb", ROOT / "notebooks" / "00_x.py")
    out = nbformat.read(tmp, as_version=4)
    assert [c["id"] for c in out.cells] == ["injected-parameters", "cell-0"]
    # recorded relative to the build and the checkout: no path of this machine
    assert out.metadata["papermill"]["output_path"] == "notebooks/00_x.ipynb"
    assert out.metadata["papermill"]["input_path"] == "notebooks/00_x.py"


def test_chart_html_has_no_random_div_id():
    import re

    import altair as alt

    from dmabuf_lab.figures import vega

    chart = alt.Chart(alt.Data(values=[{"a": 1}])).mark_point().encode(x="a:Q")
    spec = vega.to_spec(chart)
    html = vega._lab_renderer(spec)["text/html"]
    assert re.search(r"altair-viz-[0-9a-f]{32}", html) is None
    assert re.search(r'id="altair-viz-\d+"', html)
