"""Heavy sweeps as independent tasks: run anywhere, merged in a fixed order, cached.

A :class:`Task` is a module-level function, the keyword arguments it is
called with (plain JSON values: names, file contents, numbers -- never live
objects, so a task is cheap to ship to a process pool or a Dask worker) and
a sort key.  :func:`run_tasks` runs a list of them on any
``concurrent.futures`` executor and returns ``{key: value}`` in key order,
so what a caller builds from it does not depend on the executor, the number
of workers or the order in which tasks finish.

Each finished task is stored as JSON under ``build/cache/tasks/<name>/``,
named by a hash of the function, its arguments and the lab's own code
(:func:`lab_digest`).  A task whose inputs are unchanged is read back
instead of run again.  Writes go through a uniquely named temporary file
and a rename, so two runs filling the same cache at once never leave a
partial entry; an unreadable entry is simply computed again.

Tasks are shipped in batches (``chunk`` tasks per submission) so that very
short tasks are not dominated by the executor's own cost; caching and
merging stay per task.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import warnings
from concurrent.futures import FIRST_COMPLETED, Executor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, TextIO

from dmabuf_lab.errors import LabInputError
from dmabuf_lab.tasks.executors import lab_executor, worker_slots
from dmabuf_lab.paths import atomic_write_text, build_root

CACHE_ENV = "DMABUF_LAB_TASK_CACHE"


class TaskError(LabInputError):
    """A task that failed, could not be stored, or clashes with another."""


@dataclass(frozen=True)
class Task:
    """``fn(**params)``, merged at ``key`` (a tuple of str / int)."""

    key: tuple
    fn: Callable
    params: Mapping = field(default_factory=dict)


# --------------------------------------------------------------------------
# What a task's result depends on besides its arguments: the lab's code.
# --------------------------------------------------------------------------

_SKIP_SUFFIXES = (".pyc", ".pyo", ".so", ".nbi", ".nbc")


@lru_cache(maxsize=None)
def lab_digest() -> str:
    """Hash of every source file of the ``dmabuf_lab`` package and the Python version.

    Part of every task's cache key: an edit anywhere in the lab's code --
    committed or not -- makes every cached task stale, which a commit id
    alone would miss for uncommitted work.
    """
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(f"python {sys.version_info[0]}.{sys.version_info[1]}\n".encode())
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts or path.suffix in _SKIP_SUFFIXES or not path.is_file():
            continue
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:24]


def file_digest(path: str | os.PathLike) -> str:
    """sha256 of a file, or of every file under a directory (names and contents)."""
    p = Path(path)
    h = hashlib.sha256()
    files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
    for f in files:
        h.update(f.relative_to(p).as_posix().encode() + b"\0" if p.is_dir() else b"")
        h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()[:24]


# --------------------------------------------------------------------------
# Keys and JSON.
# --------------------------------------------------------------------------

def plain(value: Any, where: str = "value") -> Any:
    """``value`` as plain JSON data (tuples as lists, numpy scalars as numbers); refuse the rest."""
    if hasattr(value, "tolist") and callable(value.tolist):
        value = value.tolist()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [plain(v, where) for v in value]
    if isinstance(value, Mapping):
        return {str(k): plain(v, where) for k, v in value.items()}
    raise TaskError(f"{where}: {type(value).__name__} {value!r:.60} cannot be stored as JSON; "
                    "expected str, int, float, bool, None, lists and dicts of them")


def fn_name(fn: Callable) -> str:
    return f"{getattr(fn, '__module__', '?')}:{getattr(fn, '__qualname__', repr(fn))}"


def task_key(fn: Callable, params: Mapping, version: str) -> str:
    """Stable hash naming one task's cache entry."""
    blob = json.dumps({"fn": fn_name(fn), "version": version, "params": plain(dict(params), fn_name(fn))},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def default_cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else build_root() / "cache" / "tasks"


class TaskCache:
    """One JSON file per finished task under ``directory``."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> tuple[bool, Any]:
        """(True, value) for a readable entry of this key, else (False, None)."""
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False, None
        if not isinstance(data, dict) or data.get("key") != key or "value" not in data:
            return False, None
        return True, data["value"]

    def put(self, key: str, fn: str, label: Any, value: Any) -> None:
        record = {"key": key, "fn": fn, "task": label, "value": value}
        atomic_write_text(self._path(key), json.dumps(record, separators=(",", ":")) + "\n")


# --------------------------------------------------------------------------
# Running.
# --------------------------------------------------------------------------

def run_chunk(calls: list, lab: Optional[str] = None) -> list:
    """Worker side: run ``[(fn, params), ...]``; each result as ``("ok", json)`` or ``("error", text)``.

    ``lab`` is the client's :func:`lab_digest`; a worker running other code
    refuses the batch rather than fill the cache with its results.
    """
    if lab is not None and lab != lab_digest():
        raise TaskError(f"this worker runs different lab code (digest {lab_digest()}, the client has {lab}); "
                        "start the workers from the same checkout")
    out = []
    for fn, params in calls:
        try:
            out.append(("ok", plain(fn(**params), fn_name(fn))))
        except Exception as exc:  # reported by the client with the task's key
            out.append(("error", f"{type(exc).__name__}: {exc}"))
    return out


def chunk_size(todo: int, slots: int) -> int:
    """Tasks per submission: about 16 batches per worker slot, between 1 and 64 tasks each."""
    return max(1, min(64, todo // (16 * max(1, slots))))


@dataclass
class RunStats:
    """What :func:`run_tasks` did: tasks in all, computed, read from the cache, seconds."""

    total: int = 0
    computed: int = 0
    cached: int = 0
    seconds: float = 0.0


def run_tasks(tasks: Iterable[Task], *, name: str, executor: Optional[Executor] = None,
              scheduler: Optional[str] = None, workers: Optional[int] = None,
              cache: bool | str | os.PathLike = True, chunk: Optional[int] = None,
              progress: Optional[Callable[[int, int], None]] = None,
              stats: Optional[RunStats] = None) -> dict:
    """Run ``tasks`` (cached ones are read back) and return ``{task.key: value}`` sorted by key.

    ``executor``: any ``concurrent.futures.Executor``; without one,
    :func:`~dmabuf_lab.tasks.executors.lab_executor` picks it from
    ``scheduler`` / ``$DMABUF_LAB_SCHEDULER`` / ``workers`` and closes it
    afterwards.  ``cache``: True for ``build/cache/tasks``, a directory, or
    False.  ``progress(done, total)`` is called as tasks finish (cached ones
    count as done at once).
    """
    start = time.monotonic()
    tasks = list(tasks)
    seen: dict = {}
    for t in tasks:
        if t.key in seen:
            raise TaskError(f"{name}: two tasks share the key {t.key!r}")
        seen[t.key] = t
    lab = lab_digest()
    store = None
    if cache is not False:
        store = TaskCache((default_cache_dir() if cache is True else Path(cache)) / name)
    values: dict = {}
    todo: list[tuple[Task, str]] = []
    for t in tasks:
        key = task_key(t.fn, t.params, lab)
        hit, value = store.get(key) if store is not None else (False, None)
        if hit:
            values[t.key] = value
        else:
            todo.append((t, key))
    total = len(tasks)
    if progress:
        progress(len(values), total)
    if todo:
        # Cache files are written by two threads beside the loop that collects
        # results: writing is mostly waiting on the file system, and the loop
        # must keep the workers fed.
        writes: list = []
        with ThreadPoolExecutor(2, thread_name_prefix="task-cache") as writer:
            put = None if store is None else (lambda *a: writes.append(writer.submit(store.put, *a)))
            if executor is not None:
                _limit(executor, len(todo))
                _compute(name, todo, executor, chunk, lab, put, values, total, progress)
            else:
                with lab_executor(scheduler, workers) as ex:
                    _limit(ex, len(todo))
                    _compute(name, todo, ex, chunk, lab, put, values, total, progress)
        failed = [w.exception() for w in writes if w.exception() is not None]
        if failed:
            warnings.warn(f"{name}: {len(failed)} of {len(writes)} results could not be cached under "
                          f"{store.directory} (first: {failed[0]}); they will be computed again next time",
                          RuntimeWarning, stacklevel=2)
    if stats is not None:
        stats.total, stats.computed, stats.cached = total, len(todo), total - len(todo)
        stats.seconds = time.monotonic() - start
    return {k: values[k] for k in sorted(values, key=_sort_key)}


def _limit(executor, tasks: int) -> None:
    """Tell a lab executor how many tasks come, so it starts no more processes than that."""
    limit = getattr(executor, "limit", None)
    if callable(limit):
        limit(tasks)


def _sort_key(key) -> tuple:
    """Keys compare element by element, nested tuples too (a schedule prefix, say);
    where a position mixes kinds, numbers come before text before tuples."""
    if isinstance(key, (tuple, list)):
        return (2, tuple(_sort_key(k) for k in key))
    if isinstance(key, (int, float)):
        return (0, key)
    if isinstance(key, str):
        return (1, key)
    return (3, repr(key))


def _compute(name, todo, executor, chunk, lab, put, values, total, progress) -> None:
    size = chunk or chunk_size(len(todo), worker_slots(executor) or os.cpu_count() or 1)
    batches = [todo[i:i + size] for i in range(0, len(todo), size)]
    pending = {executor.submit(run_chunk, [(t.fn, dict(t.params)) for t, _ in batch], lab): batch
               for batch in batches}
    try:
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                batch = pending.pop(fut)
                for (t, key), (status, value) in zip(batch, fut.result()):
                    if status != "ok":
                        raise TaskError(f"{name}: task {t.key!r} ({fn_name(t.fn)}) failed: {value}")
                    if put is not None:
                        put(key, fn_name(t.fn), plain(t.key), value)
                    values[t.key] = value
                if progress:
                    progress(len(values), total)
    finally:
        for fut in pending:
            fut.cancel()


class TextProgress:
    """``progress(done, total)`` that prints ``label: done/total tasks`` to a stream.

    On a terminal one line is rewritten in place; otherwise a line is
    printed at most every ``every`` seconds, plus the last one.
    """

    def __init__(self, label: str, stream: Optional[TextIO] = None, every: float = 2.0):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.every = every
        self._last = float("-inf")
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        final = done >= total
        if not final and now - self._last < (0.2 if self._tty else self.every):
            return
        self._last = now
        line = f"{self.label}: {done}/{total} tasks"
        if self._tty:
            self.stream.write("\r" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
