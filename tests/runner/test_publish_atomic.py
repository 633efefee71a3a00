"""Publishing is one step: a kill at any moment leaves build/ holding the old run or the new one."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from dmabuf_lab.runner import build_dir

ROOT = Path(__file__).resolve().parents[2]
PARTS = ("notebooks/01_a.ipynb", "figures/01_a/f.txt", "site/index.html", "logs/01_a.log", "run-status.json")

# Publishes build/.staging-<pid> after SIGKILLing itself at the K-th file-system call.
KILLER = textwrap.dedent('''
    import os, signal, sys
    from pathlib import Path
    build, staging, k = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    from dmabuf_lab.runner import build_dir
    calls = [0]
    def wrap(fn):
        def inner(*a, **kw):
            calls[0] += 1
            if calls[0] == k:
                os.kill(os.getpid(), signal.SIGKILL)
            return fn(*a, **kw)
        return inner
    for name in ("replace", "rename", "symlink", "unlink", "rmdir", "mkdir", "link"):
        setattr(os, name, wrap(getattr(os, name)))
    build_dir.publish(staging, build)
    print("done", calls[0])
''')


def _make_run(build: Path, letter: str) -> Path:
    staging = build_dir.stage(build, rerun=["01_a"], full=True)
    for part in PARTS:
        path = staging / part
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.unlink()            # hard link to the published run: replace, never write through
        path.write_text(letter)
    return staging


def _published(build: Path) -> str:
    """The one letter every published part reads, through the README's paths."""
    letters = {(build / part).read_text() for part in PARTS}
    assert len(letters) == 1, f"a mixed build: {letters}"
    return letters.pop()


def _leftovers(build: Path) -> list[str]:
    left = [p.name for p in build.iterdir() if p.name.startswith((".staging-", ".old-", ".publish"))
            or ".link-" in p.name]
    runs = sorted(p.name for p in (build / "runs").iterdir())
    current = os.readlink(build / "current").split("/")[-1]
    return left + [r for r in runs if r != current]


def test_a_kill_at_every_step_of_publish_leaves_a_complete_build(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", ""))
                                                       if p))
    seen = set()
    k = 1
    while True:
        build = tmp_path / f"build-{k}"
        build.mkdir()
        build_dir.publish(_make_run(build, "A"), build)
        assert _published(build) == "A"
        staging = _make_run(build, "B")
        proc = subprocess.run([sys.executable, "-c", KILLER, str(build), str(staging), str(k)], env=env,
                              capture_output=True, text=True, cwd=ROOT, timeout=120)
        finished = proc.returncode == 0
        assert finished or proc.returncode == -9, proc.stderr
        now = _published(build)                          # complete right after the kill
        seen.add(now)
        build_dir.recover(build)                         # what the next run does first
        assert _published(build) == now
        assert _leftovers(build) == []
        if finished:
            assert now == "B"
            break
        k += 1
        assert k < 200, "publish never finished"
    assert seen == {"A", "B"} and k > 2


def test_recover_adopts_a_build_folder_of_the_older_layout(tmp_path):
    build = tmp_path / "build"
    for part in PARTS:
        (build / part).parent.mkdir(parents=True, exist_ok=True)
        (build / part).write_text("old")
    (build / "notebooks" / ".01_a.ipynb.1.tmp.ipynb").write_text("half")
    build_dir.recover(build)
    assert _published(build) == "old"
    assert all((build / e).is_symlink() for e in build_dir.PUBLISHED)
    assert not (build / "notebooks" / ".01_a.ipynb.1.tmp.ipynb").exists()
    assert _leftovers(build) == []


def test_a_full_run_drops_what_belongs_to_no_notebook(tmp_path):
    build = tmp_path / "build"
    build.mkdir()
    staging = _make_run(build, "A")
    (staging / "figures" / "02_gone").mkdir()
    (staging / "notebooks" / "02_gone.ipynb").write_text("x")
    (staging / "run-status.json").write_text(json.dumps({"01_a": {"status": "ok"}, "02_gone": {}}))
    build_dir.publish(staging, build)
    again = build_dir.stage(build, rerun=["01_a"], full=True)
    assert sorted(p.name for p in (again / "notebooks").iterdir()) == ["01_a.ipynb"]
    assert sorted(p.name for p in (again / "figures").iterdir()) == ["01_a"]
    assert list(json.loads((again / "run-status.json").read_text())) == ["01_a"]
    assert json.loads((build / "run-status.json").read_text())["02_gone"] == {}   # published run untouched
