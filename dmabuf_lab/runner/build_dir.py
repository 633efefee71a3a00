"""The build folder as one unit: a lock, a staging copy, and an all-or-nothing publish.

``dmabuf-lab run`` never writes the build folder's published parts
(``notebooks/``, ``figures/``, ``logs/``, ``site/``, ``cache/`` and
``run-status.json``) while it works.  It takes ``build/.run.lock`` (a second
run in the same folder is refused with the holder's pid), fills
``build/.staging-<pid>/`` -- starting from hard links to the published parts
when only some notebooks are re-run -- and, once the notebooks and the site
are done, swaps the staged parts in with interrupts held off.  A journal
(``build/.publish.json``) written before the first rename lets the next run
finish a swap that a power cut or ``kill -9`` stopped half way.  An
interrupted or failed run removes its staging folder and leaves the
published build as it was.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import signal
from contextlib import contextmanager
from pathlib import Path

from dmabuf_lab.errors import LabInputError
from dmabuf_lab.paths import atomic_write_text

LOCK_FILE = ".run.lock"
JOURNAL = ".publish.json"
PUBLISHED = ("notebooks", "figures", "logs", "site", "cache", "run-status.json")
KEEP_ON_FULL_RUN = ("site", "cache")     # rebuilt or reused, never stale: the Vega bundle, sweep caches


class BuildBusy(LabInputError):
    """Another ``dmabuf-lab run`` holds the build folder."""


@contextmanager
def build_lock(build: Path):
    """Hold ``build/.run.lock`` for the duration; BuildBusy when another run holds it."""
    build.mkdir(parents=True, exist_ok=True)
    path = build / LOCK_FILE
    fh = open(path, "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            raise BuildBusy(f"another `dmabuf-lab run` (pid {holder}) is using {build}; wait for it to "
                            "finish or give another --out", field="--out") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        yield
    finally:
        fh.close()     # closing drops the lock


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def recover(build: Path) -> None:
    """Finish a swap a killed run left half done, and drop stale staging folders (lock held)."""
    journal = build / JOURNAL
    if journal.exists():
        try:
            plan = json.loads(journal.read_text(encoding="utf-8"))
            staging, old = build / plan["staging"], build / plan["old"]
            _swap(staging, build, old, plan["entries"])
        except (OSError, ValueError, KeyError, TypeError):
            pass   # nothing usable: the published parts stay as they are
        journal.unlink(missing_ok=True)
    for stale in list(build.glob(".staging-*")) + list(build.glob(".old-*")):
        _remove(stale)


def _link_copy(src: Path, dst: Path) -> None:
    """Hard-link copy of ``src`` (a file or folder), leaving out hidden temporaries."""
    if src.is_dir():
        shutil.copytree(src, dst, copy_function=os.link,
                        ignore=lambda _d, names: [n for n in names if n.startswith(".")])
    elif src.is_file():
        os.link(src, dst)


def stage(build: Path, *, rerun: list[str], full: bool) -> Path:
    """A fresh ``build/.staging-<pid>`` to run into.

    A full run starts empty but for the site's static files and the caches;
    a partial run starts from the published build without the notebooks
    being re-run (their notebook, figures and log are made anew)."""
    staging = build / f".staging-{os.getpid()}"
    _remove(staging)
    staging.mkdir()
    for entry in PUBLISHED:
        if full and entry not in KEEP_ON_FULL_RUN:
            continue
        src = build / entry
        if src.exists():
            _link_copy(src, staging / entry)
    for name in rerun:
        _remove(staging / "figures" / name)
        _remove(staging / "notebooks" / f"{name}.ipynb")
    return staging


def drop_temporaries(staging: Path) -> None:
    """Remove hidden temporary files a killed notebook process left in the staged parts."""
    for entry in ("notebooks", "logs", "figures"):
        root = staging / entry
        if root.is_dir():
            for path in list(root.rglob(".*")):
                if path.is_file() and ".tmp" in path.name:
                    path.unlink()


def discard(staging: Path) -> None:
    """Throw a staging folder away (interrupted or failed run)."""
    _remove(staging)


def _swap(staging: Path, build: Path, old: Path, entries: list[str]) -> None:
    old.mkdir(exist_ok=True)
    for entry in entries:
        new = staging / entry
        if not new.exists():
            continue
        current = build / entry
        if current.exists() or current.is_symlink():
            os.replace(current, old / entry)
        os.replace(new, current)


def publish(staging: Path, build: Path) -> None:
    """Move every staged part into ``build`` with SIGINT/SIGTERM held off until done."""
    entries = [e for e in PUBLISHED if (staging / e).exists()]
    old = build / f".old-{os.getpid()}"
    held = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            held[sig] = signal.signal(sig, signal.SIG_IGN)
        except ValueError:      # not the main thread: cannot hold signals off
            break
    try:
        atomic_write_text(build / JOURNAL, json.dumps({"staging": staging.name, "old": old.name,
                                                       "entries": entries}))
        _swap(staging, build, old, entries)
        (build / JOURNAL).unlink()
    finally:
        for sig, handler in held.items():
            signal.signal(sig, handler)
    _remove(old)
    _remove(staging)
