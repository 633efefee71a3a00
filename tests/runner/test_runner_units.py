"""Small pieces of the runner: parameters, notebook names, the kernel spec, the preface."""
from __future__ import annotations

import json
import os
import sys

import pytest

from dmabuf_lab.runner.command import ParameterError, _print_topologies, parse_params
from dmabuf_lab.runner.kernel_spec import KERNEL_NAME, install_kernel_spec
from dmabuf_lab.runner.notebook_source import NotebookNotFound, NotebookSource, discover, select
from runner_support import ROOT


def test_parse_params_json_then_text():
    assert parse_params(["n=10", "sizes=[1, 2]", "mode=fast", "flag=true", "x=False", "r=0.5"]) == {
        "n": 10, "sizes": [1, 2], "mode": "fast", "flag": True, "x": False, "r": 0.5}


@pytest.mark.parametrize("bad", ["novalue", "=3", "two words=1", "1x=2"])
def test_parse_params_rejects_non_assignments(bad):
    with pytest.raises(ParameterError):
        parse_params([bad])


def test_select_by_number_full_name_bare_name_or_path(tmp_path):
    for name in ("00_tour", "05_rfc_v1_review_containers", "07_mapping_types"):
        (tmp_path / f"{name}.py").write_text("# %%\n")
    (tmp_path / "helpers.py").write_text("")            # not a notebook: no NN_ prefix
    found = discover(tmp_path)
    assert [nb.name for nb in found] == ["00_tour", "05_rfc_v1_review_containers", "07_mapping_types"]
    picked = select(found, ["05", "mapping_types", "notebooks/00_tour.py", "05_rfc_v1_review_containers"])
    assert [nb.name for nb in picked] == ["05_rfc_v1_review_containers", "07_mapping_types", "00_tour"]
    assert select(found, []) == found
    with pytest.raises(NotebookNotFound, match="matches no notebook"):
        select(found, ["99"])


def test_kernel_spec_runs_this_python(tmp_path):
    from jupyter_client.kernelspec import KernelSpecManager
    path = install_kernel_spec(tmp_path)
    spec = json.loads((path / "kernels" / KERNEL_NAME / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(path)
    try:
        found = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    finally:
        if old is None:
            os.environ.pop("JUPYTER_PATH")
        else:
            os.environ["JUPYTER_PATH"] = old
    assert found.argv[0] == sys.executable


def test_preface_prints_every_topology_preset():
    hw = pytest.importorskip("dmabuf_lab.hw")
    if not hasattr(hw, "PRESETS"):
        pytest.skip("topology presets not in this tree")
    lines: list[str] = []
    assert _print_topologies(lines.append)
    text = "\n".join(lines)
    for name in hw.PRESETS:
        assert f"-- {name}" in text


def test_notebook_parameters_are_read_from_the_parameters_cell(tmp_path):
    src = tmp_path / "00_x.py"
    src.write_text('# %% [markdown]\n# # T\n\n# %% tags=["parameters"]\nsmall = False\n'
                   'sizes = [1, 2]  # note\nn: int = 3\n\n# %%\nother = 1\n')
    params = NotebookSource("00_x", src).parameters()
    assert list(params) == ["small", "sizes", "n"]
    assert params["sizes"] == 6          # its line in the .py file


def test_unknown_parameter_is_an_error_listing_the_notebooks_parameters(capsys):
    from dmabuf_lab import cli

    rc = cli.main(["run", "05", "-p", "nosuchparam=1"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "05_rfc_v1_review_containers has no parameter 'nosuchparam'" in err
    declared = NotebookSource("05_rfc_v1_review_containers",
                              ROOT / "notebooks" / "05_rfc_v1_review_containers.py").parameters()
    assert "small" in declared and all(name in err for name in declared)


def test_known_parameter_of_every_notebook_passes_the_check():
    from dmabuf_lab.runner.command import check_params
    from dmabuf_lab.runner.notebook_source import discover

    check_params({"small": True}, discover(ROOT / "notebooks"))
