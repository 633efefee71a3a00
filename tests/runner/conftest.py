"""Fixtures for the runner tests: one small build of every notebook, shared.

The build runs once per test session -- also under pytest-xdist, where the
workers share it through a lock file in the common temporary directory.
"""
from __future__ import annotations

import fcntl
import json
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))       # headless_browser, png_check, runner_support

from runner_support import ROOT  # noqa: E402


@pytest.fixture(scope="session")
def small_build(tmp_path_factory) -> dict:
    """Every notebook executed with ``small=True`` plus the site, built once.

    Returns {"build": Path, "results": {name: {"status", "problem"}}}.
    """
    from dmabuf_lab.figures.site import build_site
    from dmabuf_lab.runner.notebook_source import discover
    from dmabuf_lab.runner.run_notebooks import run_notebooks

    base = tmp_path_factory.getbasetemp()
    # xdist workers get basetemp/popen-gwN under one per-session directory: share that
    session_dir = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    shared = session_dir / "dmabuf-lab-small-build"
    shared.mkdir(parents=True, exist_ok=True)
    done = shared / "done.json"
    with open(shared / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not done.exists():
                build = shared / "build"
                sources = discover(ROOT / "notebooks")
                results = run_notebooks(sources, build=build, small=True, echo=lambda s: None)
                build_site(build, notebook_names=[s.name for s in sources])
                done.write_text(json.dumps({
                    "build": str(build),
                    "results": {r.name: {"status": r.status, "problem": r.describe(), "log": r.log}
                                for r in results}}))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    data = json.loads(done.read_text())
    data["build"] = Path(data["build"])
    return data
