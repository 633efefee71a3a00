"""The grid helper: points become tasks of the one engine, rows come back in point order."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from dmabuf_lab.tasks.executors import SerialExecutor
from dmabuf_lab.tasks.engine import TaskError
from dmabuf_lab.tasks.grid import grid, sweep

CALLS: list[dict] = []


def square(n, offset=0):
    CALLS.append({"n": n, "offset": offset})
    return {"value": n * n + offset}


def two_rows(n):
    return [{"half": n // 2}, {"half": n - n // 2}]


def not_rows(n):
    return n


def test_grid_is_the_cartesian_product():
    assert grid(a=[1, 2], b=["x", "y"]) == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"},
                                            {"a": 2, "b": "x"}, {"a": 2, "b": "y"}]


def test_rows_follow_the_points_and_the_cache_reuses_them(tmp_path):
    CALLS.clear()
    first = sweep(square, {"n": [3, 1, 2]}, name="sq", executor=SerialExecutor(), cache=tmp_path)
    assert first == [{"n": 3, "value": 9}, {"n": 1, "value": 1}, {"n": 2, "value": 4}]
    assert len(CALLS) == 3
    again = sweep(square, {"n": [3, 1, 2]}, name="sq", executor=SerialExecutor(), cache=tmp_path)
    assert again == first and len(CALLS) == 3          # all read back
    changed = sweep(square, [{"n": 3}, {"n": 1, "offset": 5}], name="sq", executor=SerialExecutor(),
                    cache=tmp_path)
    assert changed == [{"n": 3, "value": 9}, {"n": 1, "offset": 5, "value": 6}]
    assert CALLS[-1] == {"n": 1, "offset": 5} and len(CALLS) == 4
    entries = list((tmp_path / "sq").rglob("*.json"))
    assert len(entries) == 4 and all(json.loads(e.read_text()) for e in entries)


def test_any_executor_gives_the_same_rows(tmp_path):
    serial = sweep(two_rows, {"n": [5, 8]}, name="tr", executor=SerialExecutor(), cache=False)
    with ThreadPoolExecutor(2) as pool:
        threaded = sweep(two_rows, {"n": [5, 8]}, name="tr", executor=pool, cache=False)
    assert serial == threaded == [{"n": 5, "half": 2}, {"n": 5, "half": 3}, {"n": 8, "half": 4},
                                  {"n": 8, "half": 4}]


def test_a_result_that_is_not_rows_is_refused():
    with pytest.raises(TaskError, match="expected a dict or a list of dicts"):
        sweep(not_rows, {"n": [1]}, name="bad", executor=SerialExecutor(), cache=False)
