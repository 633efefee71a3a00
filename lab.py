#!/usr/bin/env python3
"""Set up the lab's virtual environment, then run its main job or its tests.

    python3 lab.py run      # install into .venv, re-run every notebook, export figures
    python3 lab.py test     # install into .venv (with test tools), run the test suite

Extra arguments after the command are passed on (to `dmabuf-lab run` or to
pytest).  The environment is rebuilt only when pyproject.toml changes.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("DMABUF_LAB_VENV", ROOT / ".venv"))
STAMP = VENV / ".dmabuf-lab-stamp"


def _venv_python() -> Path:
    return VENV / "bin" / "python"


def _want_stamp(extras: str) -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    return f"{digest} {extras}\n"


def _create_venv() -> None:
    try:
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        return
    except subprocess.CalledProcessError:
        pass
    # Debian's python3 ships venv without ensurepip; python3-venv supplies it.
    if shutil.which("apt-get") and os.geteuid() == 0:
        ver = f"{sys.version_info.major}.{sys.version_info.minor}"
        subprocess.run(["apt-get", "update", "-q"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-q", f"python{ver}-venv"], check=False)
        shutil.rmtree(VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        return
    sys.exit("lab.py: could not create a virtual environment; install the python3-venv package")


def ensure_env(extras: str) -> Path:
    """Create .venv and install the lab into it unless the stamp says it is current."""
    want = _want_stamp(extras)
    if _venv_python().exists() and STAMP.exists() and STAMP.read_text() == want:
        return _venv_python()
    if not _venv_python().exists():
        print(f"lab.py: creating {VENV}", flush=True)
        _create_venv()
    py = str(_venv_python())
    pip = [py, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["install", "--upgrade", "pip", "setuptools", "wheel"], check=True)
    target = f".[{extras}]" if extras else "."
    print(f"lab.py: installing dmabuf-lab{f'[{extras}]' if extras else ''} into {VENV}", flush=True)
    subprocess.run(pip + ["install", "-e", target], check=True, cwd=ROOT)
    tmp = STAMP.with_suffix(".tmp")
    tmp.write_text(want)
    tmp.replace(STAMP)
    return _venv_python()


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test", "setup"):
        print(__doc__.strip())
        return 2
    cmd, rest = argv[0], argv[1:]
    # One environment serves both commands: the test extras are always installed.
    py = ensure_env("test")
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")
    if cmd == "setup":
        return 0
    if cmd == "run":
        return subprocess.call([str(VENV / "bin" / "dmabuf-lab"), "run", *rest], cwd=ROOT, env=env)
    return subprocess.call([str(py), str(ROOT / "tests" / "run_suite.py"), *rest], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
