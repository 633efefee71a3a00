"""A function swept over a grid of parameters, as tasks of the one engine.

``sweep(fn, points, name=...)`` turns each point into a
:class:`~dmabuf_lab.tasks.engine.Task` keyed by its position, runs them with
:func:`~dmabuf_lab.tasks.engine.run_tasks` (same executor choice, same
cache under ``build/cache/tasks/<name>/``) and returns the rows in point
order, each row the point's parameters followed by what ``fn`` returned.
``fn`` is a module-level function (workers import it) returning a dict or a
list of dicts of plain values.
"""
from __future__ import annotations

import inspect
import itertools
import os
from typing import Any, Callable, Iterable, Mapping

from dmabuf_lab.tasks.engine import Task, TaskError, file_digest, plain, run_tasks


def grid(**axes: Iterable) -> list[dict]:
    """Every combination of the given axes: ``grid(n=[1, 2], kind=["a"])``."""
    names = list(axes)
    return [dict(zip(names, combo)) for combo in itertools.product(*(list(axes[n]) for n in names))]


def point_rows(fn: Callable, **params: Any) -> list[dict]:
    """Call ``fn(**params)`` and give its result as a list of plain rows (runs in the worker)."""
    result = fn(**params)
    if isinstance(result, Mapping):
        result = [result]
    if not isinstance(result, (list, tuple)) or not all(isinstance(r, Mapping) for r in result):
        raise TaskError(f"{getattr(fn, '__qualname__', fn)} returned {type(result).__name__}; "
                        "expected a dict or a list of dicts")
    return [plain(dict(r), getattr(fn, "__qualname__", "row")) for r in result]


def sweep(fn: Callable, points: Iterable[Mapping] | Mapping[str, Iterable], *, name: str,
          **run: Any) -> list[dict]:
    """Rows of ``fn`` over ``points`` (a list of dicts, or axes for :func:`grid`).

    Keyword arguments after ``name`` go to :func:`run_tasks` (``executor``,
    ``scheduler``, ``workers``, ``cache``, ``progress``)."""
    pts = grid(**points) if isinstance(points, Mapping) else [dict(p) for p in points]
    ident = {"fn": f"{fn.__module__}:{fn.__qualname__}", "source": _source_digest(fn)}
    tasks = [Task((i,), _call, {**ident, "params": p}) for i, p in enumerate(pts)]
    done = run_tasks(tasks, name=name, **run)
    return [{**p, **row} for (_, rows), p in zip(sorted(done.items()), pts) for row in rows]


def _source_digest(fn: Callable) -> str:
    """Digest of the file defining ``fn``: an edit there (outside the lab too) is a new task."""
    try:
        path = inspect.getsourcefile(fn)
    except TypeError:
        path = None
    return file_digest(path) if path and os.path.isfile(path) else ""


def _call(fn: str, source: str, params: dict) -> list[dict]:
    import importlib

    module, _, qual = fn.partition(":")
    target: Any = importlib.import_module(module)
    for part in qual.split("."):
        target = getattr(target, part)
    return point_rows(target, **params)
