"""A notebook that fails keeps its last good page and figures.

Before a notebook runs, its executed notebook and figure folder are set
aside in ``<build>/.kept/<name>/``; the run writes its figures afresh and
its executed notebook to ``<build>/.runner/``.  Afterwards:

* it succeeded: the new notebook is published, the set-aside copy dropped,
  and ``failed/<name>.ipynb`` (an earlier failure) removed;
* it failed and the set-aside copy came from a good run: that copy comes
  back, the figures the failed attempt wrote are removed, and the failed
  execution is kept as ``failed/<name>.ipynb`` to read the error in context;
* it failed and there was no good run: the failed execution is what is
  shown (``notebooks/<name>.ipynb``); it exports no figures.

``run-status.json`` records, per notebook, ``shown``: when the run whose
page and figures are published was made (None when that run failed).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

KEPT = ".kept"


def shown_time(entry: dict | None) -> str | None:
    """When the run behind a notebook's published page was made, from its status entry."""
    if not isinstance(entry, dict):
        return None
    if "shown" in entry:
        return entry["shown"]
    return entry.get("when") if entry.get("status") == "ok" else None


def _move(src: Path, dst: Path) -> None:
    if dst.is_dir() and not dst.is_symlink():
        shutil.rmtree(dst)
    elif dst.exists() or dst.is_symlink():
        dst.unlink()
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dst)


def _drop(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def set_aside(build: Path, name: str) -> None:
    """Move ``name``'s published notebook and figures to ``.kept/<name>/``."""
    kept = build / KEPT / name
    _drop(kept)
    for part in (Path("notebooks") / f"{name}.ipynb", Path("figures") / name):
        if (build / part).exists():
            _move(build / part, kept / part)


def settle(build: Path, name: str, executed: Path, ok: bool, good_before: str | None) -> str | None:
    """Publish or restore after ``name`` ran; returns the time of the run still shown
    when a failed run kept an earlier good page, else None."""
    kept = build / KEPT / name
    page, figures, failed = (build / "notebooks" / f"{name}.ipynb", build / "figures" / name,
                             build / "failed" / f"{name}.ipynb")
    restored = None
    if ok:
        if executed.exists():
            _move(executed, page)
        _drop(failed)
    else:
        _drop(figures)
        if good_before is not None and (kept / "notebooks" / f"{name}.ipynb").exists():
            for part in (Path("notebooks") / f"{name}.ipynb", Path("figures") / name):
                if (kept / part).exists():
                    _move(kept / part, build / part)
            if executed.exists():
                _move(executed, failed)
            restored = good_before
        else:
            _drop(failed)
            if executed.exists():
                _move(executed, page)
    _drop(kept)
    return restored
