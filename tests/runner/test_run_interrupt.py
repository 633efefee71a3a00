"""`dmabuf-lab run` is safe to interrupt and to start twice, and keeps to its build folder."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dmabuf_lab import cli
from dmabuf_lab.runner import build_dir

ROOT = Path(__file__).resolve().parents[2]

NOTEBOOK = '''# %% [markdown]
# # {name}

# %% tags=["parameters"]
small = False
pause = 0.0

# %%
import os, pathlib, time
marks = os.environ.get("DMABUF_TEST_MARKS")
if marks:
    pathlib.Path(marks, "{name}").write_text(str(os.getpid()))
end = time.monotonic() + pause
out = pathlib.Path(os.environ["DMABUF_LAB_BUILD"], "figures", "{name}")
while time.monotonic() < end:           # a long cell that keeps writing into the build it runs in
    out.mkdir(parents=True, exist_ok=True)
    (out / "tick.txt").write_text(str(time.monotonic()))
    time.sleep(0.05)
print("done {name}")
'''


def _notebooks(tmp_path) -> Path:
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    for name in ("01_first", "02_second"):
        (nbs / f"{name}.py").write_text(NOTEBOOK.format(name=name))
    return nbs


def _env(tmp_path, marks: Path | None = None, home: Path | None = None, tmpdir: Path | None = None) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    for var in ("IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "MPLCONFIGDIR",
                "NUMBA_CACHE_DIR", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR",
                "DMABUF_TEST_MARKS"):
        env.pop(var, None)
    if marks is not None:
        marks.mkdir(parents=True, exist_ok=True)
        env["DMABUF_TEST_MARKS"] = str(marks)
    if home is not None:
        env["HOME"] = str(home)
    if tmpdir is not None:
        tmpdir.mkdir(parents=True, exist_ok=True)
        for var in ("TMPDIR", "TEMP", "TMP"):
            env[var] = str(tmpdir)
    return env


def _run_argv(nbs: Path, build: Path, *extra) -> list[str]:
    return [sys.executable, "-m", "dmabuf_lab.cli", "run", "--notebooks-dir", str(nbs), "--out", str(build),
            "--no-checks", *extra]


def _snapshot(build: Path) -> dict:
    out = {}
    for entry in ("notebooks", "site", "logs", "figures", "run-status.json"):
        p = build / entry
        files = [p] if p.is_file() else sorted(x for x in p.rglob("*") if x.is_file()) if p.exists() else []
        for f in files:
            out[str(f.relative_to(build))] = f.read_bytes()
    return out


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the run ended before {path.name} started:\n{proc.stdout.read()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"{path.name} did not start within {timeout} s")
        time.sleep(0.2)


def test_ctrl_c_stops_queued_work_and_keeps_the_last_good_build(tmp_path):
    nbs, build = _notebooks(tmp_path), tmp_path / "build"
    first = subprocess.run(_run_argv(nbs, build), env=_env(tmp_path), capture_output=True, text=True,
                           cwd=ROOT, timeout=600)
    assert first.returncode == 0, first.stdout + first.stderr
    before = _snapshot(build)
    assert "run-status.json" in before and "site/index.html" in before
    assert "notebooks/01_first.ipynb" in before and "notebooks/02_second.ipynb" in before

    marks, tmpdir = tmp_path / "marks", tmp_path / "tmp"
    proc = subprocess.Popen(_run_argv(nbs, build, "--jobs", "1", "--params", "pause=120"),
                            env=_env(tmp_path, marks, tmpdir=tmpdir), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    try:
        _wait_for(marks / "01_first", proc)
        # a second run in the same build folder is refused while the first holds it
        second = subprocess.run(_run_argv(nbs, build), env=_env(tmp_path), capture_output=True, text=True,
                                cwd=ROOT, timeout=300)
        assert second.returncode == 2, second.stdout + second.stderr
        assert f"pid {proc.pid}" in second.stderr and "another `dmabuf-lab run`" in second.stderr
        assert "Traceback" not in second.stderr
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, out
    assert "interrupted" in out and "Traceback" not in out
    assert not (marks / "02_second").exists(), "a queued notebook started after Ctrl-C"
    assert _gone(int((marks / "01_first").read_text())), "the notebook's kernel outlived the run"
    time.sleep(1.0)   # a kernel that outlived the run would write its staging folder back by now
    assert [p.name for p in build.iterdir() if p.name.startswith(".staging-")] == []
    assert sorted(p.name for p in tmpdir.iterdir()) == [], "the run left files in TMPDIR"
    assert not any((build / ".state" / "tmp").iterdir())
    assert _snapshot(build) == before
    leftovers = [p.name for p in build.iterdir() if p.name.startswith((".staging-", ".old-", ".publish"))]
    assert leftovers == []
    assert not [p for p in build.rglob("*.tmp*")]


def _gone(pid: int, within: float = 30.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def test_sigterm_stops_the_run_and_its_kernels(tmp_path):
    nbs, build, marks, tmpdir = _notebooks(tmp_path), tmp_path / "build", tmp_path / "marks", tmp_path / "tmp"
    proc = subprocess.Popen(_run_argv(nbs, build, "--jobs", "1", "--params", "pause=120"),
                            env=_env(tmp_path, marks, tmpdir=tmpdir), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    try:
        _wait_for(marks / "01_first", proc)
        kernel = int((marks / "01_first").read_text())
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, out
    assert _gone(kernel), "the notebook's kernel outlived the run"
    assert not (marks / "02_second").exists()
    assert not (build / "notebooks").exists() and not (build / "run-status.json").exists()
    time.sleep(1.0)
    assert [p.name for p in build.iterdir() if p.name.startswith((".staging-", ".old-"))] == []
    assert sorted(p.name for p in tmpdir.iterdir()) == [], "the run left files in TMPDIR"


def test_nothing_is_written_outside_the_build_folder(tmp_path):
    nbs, build, home = _notebooks(tmp_path), tmp_path / "build", tmp_path / "home"
    home.mkdir()
    proc = subprocess.run(_run_argv(nbs, build, "--no-site", "01"), env=_env(tmp_path, home=home),
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(str(p.relative_to(home)) for p in home.rglob("*")) == []
    assert (build / ".state" / "ipython").is_dir()


def test_a_leftover_temporary_never_becomes_a_site_page(tmp_path):
    nbs, build = _notebooks(tmp_path), tmp_path / "build"
    (build / "notebooks").mkdir(parents=True)
    # what a killed run used to leave: a truncated temporary notebook
    (build / "notebooks" / ".02_second.ipynb.4242.tmp.ipynb").write_text('{"cells": [')
    (build / "logs").mkdir()
    (build / "logs" / ".01_first.log.tmp").write_text("half a log")
    proc = subprocess.run(_run_argv(nbs, build, "01"), env=_env(tmp_path), capture_output=True, text=True,
                          cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pages = sorted(p.name for p in (build / "site" / "notebooks").iterdir())
    assert pages == ["01_first.html"]
    assert "tmp" not in (build / "site" / "index.html").read_text()
    status = json.loads((build / "run-status.json").read_text())
    assert status["01_first"]["status"] == "ok"


def test_a_second_run_is_refused_while_the_folder_is_locked(tmp_path, capsys):
    nbs, build = _notebooks(tmp_path), tmp_path / "build"
    with build_dir.build_lock(build):
        assert cli.main(["run", "--notebooks-dir", str(nbs), "--out", str(build), "--no-checks"]) == 2
    err = capsys.readouterr().err
    assert f"pid {os.getpid()}" in err and "field '--out'" in err and err.count("\n") == 1
    assert not (build / "notebooks").exists()


def test_recovery_finishes_a_swap_the_older_part_by_part_publish_left(tmp_path):
    build = tmp_path / "build"
    for part, text in (("notebooks/01_a.ipynb", "old nb"), ("site/index.html", "old site"),
                       ("run-status.json", "old status")):
        (build / part).parent.mkdir(parents=True, exist_ok=True)
        (build / part).write_text(text)
    staging = build_dir.stage(build, rerun=["01_a"], full=False)
    assert (staging / "notebooks" / "01_a.ipynb").read_text() == "old nb"
    assert (staging / "site" / "index.html").read_text() == "old site"
    (staging / "notebooks" / "01_a.ipynb").unlink()
    (staging / "notebooks" / "01_a.ipynb").write_text("new nb")
    (staging / "site" / "index.html").unlink()          # hard link: replace, never write through
    (staging / "site" / "index.html").write_text("new site")
    (staging / "run-status.json").unlink()
    (staging / "run-status.json").write_text("new status")
    assert (build / "site" / "index.html").read_text() == "old site"
    # a run killed after the journal and the first rename: the next run finishes the swap
    old = build / ".old-1"
    (build / build_dir.JOURNAL).write_text(json.dumps({"staging": staging.name, "old": old.name,
                                                       "entries": ["notebooks", "site", "run-status.json"]}))
    old.mkdir()
    os.replace(build / "notebooks", old / "notebooks")
    os.replace(staging / "notebooks", build / "notebooks")
    build_dir.recover(build)
    assert (build / "notebooks" / "01_a.ipynb").read_text() == "new nb"
    assert (build / "site" / "index.html").read_text() == "new site"
    assert (build / "run-status.json").read_text() == "new status"
    assert [p.name for p in build.iterdir() if p.name.startswith((".staging-", ".old-", ".publish"))] == []
    assert all((build / e).is_symlink() for e in build_dir.PUBLISHED)


def test_readme_says_kernels_talk_over_loopback():
    text = (ROOT / "README.md").read_text()
    assert "loopback" in text and "build/" in text
