"""Parameter sweeps that run on any ``concurrent.futures`` executor and remember their points.

A sweep calls ``fn(**point)`` for every point of a grid.  Each finished point
is stored as JSON under the cache directory, named by a hash of the
function's name, a version string and the point's parameters, so running the
sweep again computes only the points that are new or changed.  Results come
back as one Polars frame: the parameters as columns, then what ``fn``
returned (a dict is one row; a list of dicts is several rows).

Where the work runs is chosen as everywhere in the lab, by
:func:`dmabuf_lab.experiments.executors.lab_executor`:

* ``executor=None`` -- a local ``ProcessPoolExecutor``, or the Dask cluster
  at ``scheduler="tcp://host:8786"`` (or ``$DMABUF_LAB_SCHEDULER``, which
  ``dmabuf-lab run --scheduler`` sets);
* any other ``concurrent.futures.Executor`` you pass, including
  ``SerialExecutor()`` to stay in this process.

For many small independent tasks whose results are merged into one
product (the fault sweep, the negotiation matrix), see
:mod:`dmabuf_lab.experiments.tasks`.

``fn`` must be importable by name (defined in a module, not a notebook cell)
for process pools and remote clusters.  Bump ``version`` when ``fn``'s
meaning changes through code outside its own module (edits to the module
that defines ``fn`` already change every key), so stale points are not
reused.
"""
from __future__ import annotations

import functools
import hashlib
import inspect
import itertools
import json
import math
import os
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import polars as pl

from dmabuf_lab.errors import LabInputError
from dmabuf_lab.experiments.executors import SCHEDULER_ENV, SerialExecutor, lab_executor  # noqa: F401
from dmabuf_lab.paths import atomic_write_text, build_root

CACHE_ENV = "DMABUF_LAB_CACHE"


class SweepError(LabInputError):
    """A sweep point or result that cannot be stored as JSON."""


def grid(**axes: Iterable) -> list[dict]:
    """Every combination of the given axes: ``grid(n=[1, 2], kind=["a"])``."""
    names = list(axes)
    return [dict(zip(names, combo)) for combo in itertools.product(*(list(axes[n]) for n in names))]


def _plain(value: Any) -> Any:
    """Numpy values and tuples as plain JSON values; reject anything else."""
    if hasattr(value, "tolist") and callable(value.tolist):      # numpy scalars and arrays
        value = value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        return value
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    raise SweepError(f"{value!r} ({type(value).__name__}) cannot be stored as JSON")


def fn_name(fn: Callable) -> str:
    return f"{getattr(fn, '__module__', '?')}:{getattr(fn, '__qualname__', repr(fn))}"


def source_digest(fn: Callable) -> str:
    """Hash of the source file that defines ``fn`` ("" when it has none).

    Part of every point's key, so editing the module that holds the swept
    function invalidates its cached points without a manual version bump.
    """
    try:
        path = inspect.getsourcefile(fn)
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16] if path else ""
    except (TypeError, OSError):
        return ""


def point_key(fn: Callable | str, version: str, params: Mapping) -> str:
    """Stable hash of (function, its source file, version, parameters)."""
    name = fn if isinstance(fn, str) else fn_name(fn)
    source = "" if isinstance(fn, str) else source_digest(fn)
    blob = json.dumps({"fn": name, "source": source, "version": version,
                       "params": _plain(dict(params))},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _rows(result: Any, where: str) -> list[dict]:
    if isinstance(result, Mapping):
        return [_plain(dict(result))]
    if isinstance(result, pl.DataFrame):
        return [_plain(r) for r in result.to_dicts()]
    if isinstance(result, (list, tuple)) and all(isinstance(r, Mapping) for r in result):
        return [_plain(dict(r)) for r in result]
    raise SweepError(f"{where} returned {type(result).__name__}; return a dict, a list of dicts "
                     "or a polars.DataFrame")


def default_cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else build_root() / "cache" / "sweeps"


@dataclass
class Sweep:
    """A function swept over points, with its on-disk cache of finished points."""

    fn: Callable
    name: str | None = None
    cache_dir: Path | None = None
    version: str = "1"

    def __post_init__(self):
        self.name = self.name or getattr(self.fn, "__name__", "sweep")
        self.cache_dir = Path(self.cache_dir) if self.cache_dir else default_cache_dir()
        self.computed = 0
        self.reused = 0

    @property
    def directory(self) -> Path:
        return self.cache_dir / self.name

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def _load(self, key: str) -> list[dict] | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("key") != key or not isinstance(data.get("rows"), list):
            return None
        return data["rows"]

    def _store(self, key: str, params: dict, rows: list[dict]) -> None:
        record = {"key": key, "fn": fn_name(self.fn), "version": self.version,
                  "params": params, "rows": rows}
        atomic_write_text(self._path(key), json.dumps(record, sort_keys=True, indent=1) + "\n")

    def run(self, points: Iterable[Mapping] | Mapping[str, Iterable], *, executor: Executor | None = None,
            scheduler: str | None = None, max_workers: int | None = None,
            progress: Callable[[int, int], None] | None = None) -> pl.DataFrame:
        """Compute the missing points, reuse the cached ones, return every row as a frame."""
        if isinstance(points, Mapping):
            points = grid(**points)
        plain_points = [_plain(dict(p)) for p in points]
        keys = [point_key(self.fn, self.version, p) for p in plain_points]
        results: dict[str, list[dict]] = {}
        todo: dict[str, dict] = {}
        for key, params in zip(keys, plain_points):
            if key in results or key in todo:
                continue
            cached = self._load(key)
            if cached is None:
                todo[key] = params
            else:
                results[key] = cached
        self.reused = len(results)
        self.computed = 0
        if todo:
            self._compute(todo, results, executor, scheduler, max_workers, progress)
        rows = []
        for key, params in zip(keys, plain_points):
            for row in results[key]:
                rows.append({**params, **{k: v for k, v in row.items() if k not in params}})
        return pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()

    def _compute(self, todo, results, executor, scheduler, max_workers, progress) -> None:
        if executor is None:
            workers = max_workers or max(1, min(len(todo), os.cpu_count() or 1))
            with lab_executor(scheduler, workers) as ex:
                return self._compute(todo, results, ex, None, None, progress)
        futures = {key: executor.submit(self.fn, **params) for key, params in todo.items()}
        try:
            for done, (key, fut) in enumerate(futures.items(), 1):
                rows = _rows(fut.result(), f"{self.name}({todo[key]})")
                self._store(key, todo[key], rows)
                results[key] = rows
                self.computed += 1
                if progress:
                    progress(done, len(futures))
        finally:
            for fut in futures.values():
                fut.cancel()


def sweep(fn: Callable, points, *, name: str | None = None, cache_dir: str | Path | None = None,
          version: str = "1", executor: Executor | None = None, scheduler: str | None = None,
          max_workers: int | None = None) -> pl.DataFrame:
    """One-call form of :class:`Sweep` ``(fn, ...).run(points, ...)``."""
    return Sweep(fn, name=name, cache_dir=cache_dir, version=version).run(
        points, executor=executor, scheduler=scheduler, max_workers=max_workers)
