"""A failing notebook is reported by name and cell; the others still run; exit status says so."""
from __future__ import annotations

import json
import re

from dmabuf_lab import cli

GOOD = '''# %% [markdown]
# # Good

# %% tags=["parameters"]
small = False
n = 50
k = 1

# %%
if small:
    n = 3
values = list(range(n))
print("sum", sum(values) * k)
'''

BAD = '''# %% tags=["parameters"]
small = False

# %%
x = 1

# %%
# this cell divides by zero on purpose
y = x / 0

# %%
print("never reached")
'''


def test_failure_is_reported_and_others_still_run(tmp_path, capsys):
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    (nbs / "01_good.py").write_text(GOOD)
    (nbs / "02_bad.py").write_text(BAD)
    (nbs / "03_good_too.py").write_text(GOOD.replace("# Good", "# Also good"))
    out = tmp_path / "build"

    rc = cli.main(["run", "--notebooks-dir", str(nbs), "--out", str(out), "--small", "--no-site",
                   "--no-checks", "--params", "k=2"])
    text = capsys.readouterr().out

    assert rc == 1
    fail_lines = [l for l in text.splitlines() if l.startswith("FAILED 02_bad")]
    assert len(fail_lines) == 1, text
    line = fail_lines[0]
    # cell index in the source notebook (0: parameters, 1: x = 1, 2: the failing cell),
    # its first line, the line in the .py file and the error
    assert "cell 2" in line and "# this cell divides by zero on purpose" in line
    assert "(line 8)" in line
    assert "ZeroDivisionError" in line
    # one progress line per notebook with its time
    progress = [l for l in text.splitlines() if re.match(r"^\[\d/3\] (ok  |FAIL) ", l)]
    assert len(progress) == 3, text
    assert all(re.search(r" \d+\.\ds(  |$)", l) for l in progress), progress
    for name in ("01_good", "03_good_too"):
        nb = json.loads((out / "notebooks" / f"{name}.ipynb").read_text())
        outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
        # small=True shrank n to 3 and --params set k=2: (0 + 1 + 2) * 2
        assert any("sum 6" in "".join(o.get("text", "")) for o in outputs), name
    # the failing notebook is kept, executed up to the error
    assert (out / "notebooks" / "02_bad.ipynb").exists()
    status = json.loads((out / "run-status.json").read_text())
    assert status["02_bad"]["status"] == "failed" and status["01_good"]["status"] == "ok"


def test_unknown_notebook_is_an_input_error(tmp_path, capsys):
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    (nbs / "01_good.py").write_text(GOOD)
    rc = cli.main(["run", "nope", "--notebooks-dir", str(nbs), "--out", str(tmp_path / "b")])
    assert rc == 2
    err = capsys.readouterr().err
    assert "'nope' matches no notebook" in err and "01_good" in err


def test_long_notebooks_report_that_they_are_still_running(tmp_path):
    from dmabuf_lab.runner.notebook_source import discover
    from dmabuf_lab.runner.run_notebooks import run_notebooks
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    (nbs / "01_slow.py").write_text('# %% tags=["parameters"]\nsmall = False\n\n# %%\nimport time\ntime.sleep(2.5)\n')
    lines: list[str] = []
    results = run_notebooks(discover(nbs), build=tmp_path / "build", echo=lines.append, note_every=1.0)
    assert results[0].ok and results[0].seconds >= 2.5
    assert any(re.match(r"^\s+still running: 01_slow \(\d+s\)$", l) for l in lines), lines
    assert re.match(r"^\[1/1\] ok   01_slow +\d+\.\ds$", lines[-1]), lines


FIGURE = '''# %% [markdown]
# # Squares

# %% tags=["parameters"]
small = False
n = 3

# %%
import altair as alt
import polars as pl
from dmabuf_lab.figures import save_figure, use_lab_display
use_lab_display()
frame = pl.DataFrame({"x": list(range(n)), "y": [i * i for i in range(n)]})
save_figure(alt.Chart(frame).mark_bar().encode(x="x:Q", y="y:Q"), frame, name="squares",
            caption="Squares")

# %%
# fails once n is large
assert n < 5, "n is too large for this page"
print("good page", n)
'''


def _published_bytes(build):
    return {str(p.relative_to(build)): p.read_bytes()
            for entry in ("notebooks", "figures") for p in sorted((build / entry).rglob("*")) if p.is_file()}


def test_a_failing_notebook_keeps_its_last_good_page_and_figures(tmp_path, capsys):
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    (nbs / "01_squares.py").write_text(FIGURE)
    out = tmp_path / "build"
    argv = ["run", "--notebooks-dir", str(nbs), "--out", str(out), "--no-checks"]
    assert cli.main(argv) == 0
    good = _published_bytes(out)
    assert "figures/01_squares/squares.txt" in good and "notebooks/01_squares.ipynb" in good
    good_when = json.loads((out / "run-status.json").read_text())["01_squares"]["when"]
    charts_before = (out / "site" / "notebooks" / "01_squares.html").read_text().count('class="vega-chart"')
    capsys.readouterr()

    rc = cli.main(argv + ["-p", "n=7"])
    text = capsys.readouterr().out
    assert rc == 1 and "FAILED 01_squares" in text and "AssertionError" in text
    # the good page and its figures are still what build/ publishes
    assert _published_bytes(out) == good
    assert cli.main(["export", "01_squares/squares", "--build", str(out)]) == 0
    assert "Squares" in capsys.readouterr().out
    status = json.loads((out / "run-status.json").read_text())["01_squares"]
    assert status["status"] == "failed" and status["shown"] == good_when and status["when"] >= good_when
    assert "n is too large for this page" in status["problem"] and "\n" not in status["problem"]
    # the failed execution is kept to read in context; the site says what it shows
    failed = json.loads((out / "failed" / "01_squares.ipynb").read_text())
    assert any(o.get("output_type") == "error" for c in failed["cells"] for o in c.get("outputs", []))
    page = (out / "site" / "notebooks" / "01_squares.html").read_text()
    index = (out / "site" / "index.html").read_text()
    for html in (page, index):
        assert "failed at " in html and ", showing the run of " + good_when[:10] in html
        assert "n is too large for this page" in html
        assert "Traceback" not in html and str(tmp_path) not in html
    assert page.count('class="vega-chart"') == charts_before > 0

    # the next good run publishes itself and drops the failed execution
    assert cli.main(argv + ["-p", "n=4"]) == 0
    status = json.loads((out / "run-status.json").read_text())["01_squares"]
    assert status["status"] == "ok" and status["shown"] == status["when"]
    assert not (out / "failed" / "01_squares.ipynb").exists()
    assert _published_bytes(out) != good
