"""Every notebook opens in JupyterLab with a kernel that exists after `lab.py setup`.

The test opens each notebook through jupytext, reads the kernelspec its
header names and looks that kernel up the way a Jupyter server started from
the lab's environment does (no JUPYTER_PATH, no per-user kernels), then
starts the interpreter the spec runs and imports the lab with it.
"""
from __future__ import annotations

import subprocess
import sys

import jupytext
import pytest
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

from runner_support import ROOT, notebook_names


@pytest.fixture
def lab_environment_only(monkeypatch, tmp_path):
    """Kernel lookup as in a fresh account: only the environment's own kernels."""
    monkeypatch.delenv("JUPYTER_PATH", raising=False)
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "user-data"))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "user-config"))


def _interpreter(argv: list[str]) -> str:
    """argv[0] as jupyter_client runs it: a bare ``python`` means the server's own Python."""
    if argv[0] in {"python", f"python{sys.version_info[0]}",
                   f"python{sys.version_info[0]}.{sys.version_info[1]}"}:
        return sys.executable
    return argv[0]


def test_every_notebook_names_one_kernel_that_exists(lab_environment_only):
    names = notebook_names()
    assert names
    manager = KernelSpecManager()
    kernels = set()
    for name in names:
        nb = jupytext.read(ROOT / "notebooks" / f"{name}.py")
        kernel = nb.metadata.get("kernelspec", {}).get("name")
        assert kernel, f"{name}: no kernelspec in its header"
        kernels.add(kernel)
        try:
            spec = manager.get_kernel_spec(kernel)
        except NoSuchKernel:
            pytest.fail(f"{name} asks for kernel {kernel!r}, which this environment does not have "
                        f"(it has: {sorted(manager.find_kernel_specs())})")
        assert spec.language == "python"
    assert len(kernels) == 1, f"the notebooks name different kernels: {sorted(kernels)}"
    spec = manager.get_kernel_spec(kernels.pop())
    probe = subprocess.run([_interpreter(spec.argv), "-c", "import dmabuf_lab, ipykernel; print('ok')"],
                           capture_output=True, text=True, cwd=ROOT / "notebooks")
    assert probe.stdout.strip() == "ok", probe.stderr


def test_paired_notebooks_are_ignored_by_git():
    probe = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", "notebooks/00_tour.ipynb"])
    if probe.returncode == 128:
        pytest.skip("not a git checkout")
    assert probe.returncode == 0, "a paired notebooks/*.ipynb would show up in git status"
