"""How the site shows a notebook whose last run failed: one line, no traceback, no local path."""
from __future__ import annotations

import os

import nbformat

from dmabuf_lab.figures.notebook_html import NotebookPage
from dmabuf_lab.figures.site import failed_banner
from dmabuf_lab.paths import lab_root


def test_banner_names_the_failed_run_and_the_run_shown():
    st = {"status": "failed", "when": "2026-12-07T11:22:50Z", "shown": "2026-12-06T09:01:02Z"}
    assert failed_banner(st) == "failed at 2026-12-07 11:22:50 UTC, showing the run of 2026-12-06 09:01:02 UTC"
    st["shown"] = None
    assert failed_banner(st) == "failed at 2026-12-07 11:22:50 UTC"
    # an entry written before `shown` existed: a failed run showed itself
    assert failed_banner({"status": "failed", "when": "2026-12-07T11:22:50Z"}) == \
        "failed at 2026-12-07 11:22:50 UTC"


def test_an_error_output_is_one_line_without_traceback_or_local_paths():
    home = os.path.expanduser("~")
    here = str(lab_root())
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("max_pages * 'x'")
    cell.outputs = [nbformat.v4.new_output(
        "error", ename="TypeError", evalue=f"bad operand in {here}/dmabuf_lab/kernels/x.py\nsecond line",
        traceback=["\x1b[31mTraceback (most recent call last)\x1b[0m",
                   f'  File "{home}/.venv/lib/python3.11/site-packages/numba/core.py", line 3'])]
    nb.cells = [nbformat.v4.new_markdown_cell("# T"), cell]
    html = NotebookPage(nb, name="09_x", static_prefix="", index_href="").body()
    error = html[html.index('<pre class="error">'):]
    error = error[:error.index("</pre>")]
    assert "TypeError: bad operand in dmabuf_lab/kernels/x.py second line" in error
    assert "Traceback" not in html and here not in html and "site-packages" not in html
    if home not in ("", "/"):
        assert home not in html
