"""The build folder as one unit: a lock, a staging copy, and a publish that is one rename.

Layout of a build folder::

    build/runs/<id>/          one complete run: notebooks/, figures/, failed/,
                              logs/, site/, cache/, run-status.json
    build/current -> runs/<id>
    build/notebooks -> current/notebooks     (and figures, failed, logs, site,
                                              cache, run-status.json alike)
    build/.staging-<pid>/     the run being made
    build/.state/             IPython, Jupyter and cache folders of the kernels

``dmabuf-lab run`` takes ``build/.run.lock`` (a second run in the same folder
is refused with the holder's pid), fills ``build/.staging-<pid>/`` --
starting from hard links to the current run's parts when only some notebooks
are re-run -- renames it to ``build/runs/<id>`` and then points ``current``
at it by renaming a new symbolic link over the old one.  That last rename is
the publish: a kill before it leaves the old run published, a kill after it
the new one.  The next run removes what a killed one left (staging folders,
runs that ``current`` does not name) and restores any missing entry link.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from dmabuf_lab.errors import LabInputError

LOCK_FILE = ".run.lock"
JOURNAL = ".publish.json"       # left by the older, part-by-part publish; finished by recover()
RUNS = "runs"
CURRENT = "current"
PUBLISHED = ("notebooks", "figures", "failed", "logs", "site", "cache", "run-status.json")


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


def _link(build: Path, name: str, target: str) -> None:
    """Point ``build/name`` at ``target`` by renaming a fresh symbolic link over it."""
    tmp = build / f".{name}.link-{os.getpid()}"
    _remove(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, build / name)


def current_run(build: Path) -> Path | None:
    """The published run folder, or None before the first publish."""
    link = build / CURRENT
    if not link.is_symlink():
        return None
    target = (build / os.readlink(link)).resolve()
    return target if target.is_dir() else None


def _ensure_entry_links(build: Path) -> None:
    """``build/<entry>`` -> ``current/<entry>`` for every published part (idempotent)."""
    for entry in PUBLISHED:
        path, want = build / entry, f"{CURRENT}/{entry}"
        if path.is_symlink() and os.readlink(path) == want:
            continue
        if path.exists() and not path.is_symlink():
            # a part published by the older layout: park it (current holds a copy) before the link
            parked = build / f".old-{os.getpid()}"
            parked.mkdir(exist_ok=True)
            os.replace(path, parked / entry)
        _link(build, entry, want)


def _adopt_legacy(build: Path) -> None:
    """A build folder from the older layout (real folders at the top) becomes run ``legacy``."""
    legacy = [e for e in PUBLISHED if (build / e).exists() and not (build / e).is_symlink()]
    if not legacy or current_run(build) is not None:
        return
    tmp = build / f".staging-{os.getpid()}"
    _remove(tmp)
    tmp.mkdir()
    for entry in legacy:
        _link_copy(build / entry, tmp / entry)
    run = build / RUNS / f"legacy-{os.getpid()}"
    run.parent.mkdir(exist_ok=True)
    os.replace(tmp, run)
    _link(build, CURRENT, f"{RUNS}/{run.name}")


def _finish_old_journal(build: Path) -> None:
    """Finish a part-by-part swap that the older publish left half done."""
    journal = build / JOURNAL
    if not journal.exists():
        return
    try:
        plan = json.loads(journal.read_text(encoding="utf-8"))
        staging, old = build / plan["staging"], build / plan["old"]
        old.mkdir(exist_ok=True)
        for entry in plan["entries"]:
            new, now = staging / entry, build / entry
            if new.exists():
                if now.exists() or now.is_symlink():
                    os.replace(now, old / entry)
                os.replace(new, now)
    except (OSError, ValueError, KeyError, TypeError):
        pass   # nothing usable: the published parts stay as they are
    journal.unlink(missing_ok=True)


def recover(build: Path) -> None:
    """Tidy what a killed run left, with the lock held: staging folders, unpublished runs,
    parked parts, half-made links; convert an older layout; restore the entry links."""
    _finish_old_journal(build)
    for stale in [*build.glob(".staging-*"), *build.glob(".old-*"), *build.glob(".*.link-*")]:
        _remove(stale)
    _adopt_legacy(build)
    current = current_run(build)
    runs = build / RUNS
    if runs.is_dir():
        for run in runs.iterdir():
            if current is None or run.resolve() != current:
                _remove(run)
    if current is not None:
        _ensure_entry_links(build)
        for parked in build.glob(".old-*"):
            _remove(parked)
    tmp_root = build / ".state" / "tmp"
    if tmp_root.is_dir():
        for stale in tmp_root.iterdir():
            _remove(stale)


def _link_copy(src: Path, dst: Path) -> None:
    """Hard-link copy of ``src`` (a file or folder), leaving out hidden temporaries."""
    if src.is_dir():
        shutil.copytree(src, dst, copy_function=os.link,
                        ignore=lambda _d, names: [n for n in names if n.startswith(".")])
    elif src.is_file():
        os.link(src, dst)


def stage(build: Path, *, rerun: list[str], full: bool) -> Path:
    """A fresh ``build/.staging-<pid>`` to run into, made of hard links to the published run.

    The notebooks being re-run keep their last good page and figures until
    they succeed (see ``last_good``).  A full run (``rerun`` names every
    notebook there is) also drops what belongs to no notebook any more."""
    staging = build / f".staging-{os.getpid()}"
    _remove(staging)
    staging.mkdir()
    current = current_run(build)
    for entry in PUBLISHED:
        src = (current / entry) if current is not None else build / entry
        if src.exists():
            _link_copy(src, staging / entry)
    if full:
        _drop_stale(staging, set(rerun))
    return staging


def _drop_stale(staging: Path, names: set[str]) -> None:
    """Remove the parts of notebooks not in ``names`` (their source is gone)."""
    for folder, suffix in (("notebooks", ".ipynb"), ("failed", ".ipynb"), ("logs", ".log"), ("figures", "")):
        root = staging / folder
        if root.is_dir():
            for path in root.iterdir():
                stem = path.name[:-len(suffix)] if suffix and path.name.endswith(suffix) else path.name
                if stem not in names:
                    _remove(path)
    status = staging / "run-status.json"
    try:
        entries = json.loads(status.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(entries, dict) and set(entries) - names:
        from dmabuf_lab.paths import atomic_write_text
        kept = {k: v for k, v in entries.items() if k in names}
        atomic_write_text(status, json.dumps(kept, indent=1, sort_keys=True) + "\n")


def drop_temporaries(staging: Path) -> None:
    """Remove the runner's own hidden folders (jobs, kernel spec, set-aside pages) and the
    hidden temporary files a killed notebook process left in the staged parts."""
    for hidden in staging.glob(".*"):
        _remove(hidden)
    for entry in ("notebooks", "failed", "logs", "figures"):
        root = staging / entry
        if root.is_dir():
            for path in list(root.rglob(".*")):
                if path.is_file() and ".tmp" in path.name:
                    path.unlink()


def discard(staging: Path) -> None:
    """Throw a staging folder away (interrupted or failed run)."""
    _remove(staging)


def _run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{os.getpid()}"


def publish(staging: Path, build: Path) -> Path:
    """Make ``staging`` the published run: rename it under ``runs/``, then flip ``current``.

    Returns the run folder.  Each step is one rename, so whenever the process
    dies ``build/current`` names a complete run (the old one until the flip,
    the new one after it)."""
    old = current_run(build)
    for entry in PUBLISHED:
        if "." not in entry:
            (staging / entry).mkdir(exist_ok=True)    # every entry link resolves, even to an empty folder
    (build / RUNS).mkdir(exist_ok=True)
    run, n = build / RUNS / _run_id(), 1
    while run.exists():
        n += 1
        run = build / RUNS / f"{_run_id()}.{n}"
    os.replace(staging, run)
    _link(build, CURRENT, f"{RUNS}/{run.name}")       # the publish
    _ensure_entry_links(build)
    for parked in build.glob(".old-*"):
        _remove(parked)
    if old is not None and old != run.resolve():
        _remove(old)
    return run
