"""The sweep runner: any executor, a JSON cache by parameter hash, a Polars frame back."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import polars as pl
import pytest

from dmabuf_lab.addr import footprint
from dmabuf_lab.experiments.containers import container_footprint
from dmabuf_lab.experiments.sweep import (SerialExecutor, Sweep, SweepError, grid, point_key,
                                          sweep)

CALLS: list[dict] = []


def square(n, offset=0):
    CALLS.append({"n": n, "offset": offset})
    return {"value": n * n + offset}


def test_grid_is_the_cartesian_product():
    assert grid(a=[1, 2], b=["x"]) == [{"a": 1, "b": "x"}, {"a": 2, "b": "x"}]


def test_second_run_computes_nothing_and_a_changed_point_computes_one(tmp_path):
    CALLS.clear()
    s = Sweep(square, cache_dir=tmp_path)
    first = s.run({"n": [1, 2, 3]}, executor=SerialExecutor())
    assert (s.computed, s.reused) == (3, 0)
    assert first.get_column("value").to_list() == [1, 4, 9]

    again = s.run({"n": [1, 2, 3]}, executor=SerialExecutor())
    assert (s.computed, s.reused) == (0, 3)
    assert again.equals(first)

    changed = s.run([{"n": 1}, {"n": 2}, {"n": 3, "offset": 10}], executor=SerialExecutor())
    assert (s.computed, s.reused) == (1, 2)
    assert changed.get_column("value").to_list() == [1, 4, 19]
    assert CALLS[-1] == {"n": 3, "offset": 10} and len(CALLS) == 4


def test_cache_files_are_json_named_by_hash(tmp_path):
    s = Sweep(square, cache_dir=tmp_path, name="sq")
    s.run({"n": [5]}, executor=SerialExecutor())
    files = list((tmp_path / "sq").glob("*.json"))
    assert [f.stem for f in files] == [point_key(square, "1", {"n": 5})]
    record = json.loads(files[0].read_text())
    assert record["params"] == {"n": 5} and record["rows"] == [{"value": 25}]
    assert not list((tmp_path / "sq").glob("*.tmp"))


def test_version_changes_the_key(tmp_path):
    assert point_key(square, "1", {"n": 1}) != point_key(square, "2", {"n": 1})
    assert point_key(square, "1", {"n": 1}) != point_key(square, "1", {"n": 2})
    assert point_key(square, "1", {"n": 1, "offset": 0}) == point_key(square, "1", {"offset": 0, "n": 1})


def test_a_corrupt_cache_file_is_recomputed(tmp_path):
    s = Sweep(square, cache_dir=tmp_path, name="sq")
    s.run({"n": [4]}, executor=SerialExecutor())
    path = next((tmp_path / "sq").glob("*.json"))
    path.write_text("{ not json")
    s.run({"n": [4]}, executor=SerialExecutor())
    assert s.computed == 1 and json.loads(path.read_text())["rows"] == [{"value": 16}]


def test_any_executor_and_list_results(tmp_path):
    with ThreadPoolExecutor(2) as pool:
        frame = sweep(container_footprint, {"ranges": [1, 64]}, cache_dir=tmp_path, executor=pool)
    assert frame.height == 2 * 6
    sg = frame.filter(pl.col("container").str.starts_with("sg_table"))
    # hand arithmetic from the struct sizes: a 32-byte holder + 64 x 32-byte entries = 2080
    assert sg.filter(pl.col("ranges") == 64).get_column("bytes").item() == 32 + 64 * 32


def test_default_executor_is_a_local_process_pool(tmp_path):
    s = Sweep(container_footprint, cache_dir=tmp_path)
    frame = s.run({"ranges": [4096, 8192]}, max_workers=2)
    assert s.computed == 2
    flat = frame.filter(pl.col("container") == "flat phys_vec array")
    assert flat.get_column("bytes").to_list() == [4096 * 16, 8192 * 16]   # 16-byte phys_vec, page multiples
    assert footprint.sizeof_phys_vec == 16


def test_unstorable_results_are_refused(tmp_path):
    with pytest.raises(SweepError):
        sweep(lambda n: {"obj": object()}, [{"n": 1}], cache_dir=tmp_path, executor=SerialExecutor())


def numpy_point(n):
    import numpy as np
    return {"total": np.int64(n) * 2, "parts": np.arange(n)}


def test_numpy_results_are_stored_as_plain_json(tmp_path):
    frame = sweep(numpy_point, {"n": [3]}, cache_dir=tmp_path, executor=SerialExecutor())
    assert frame.get_column("total").to_list() == [6]
    assert frame.get_column("parts").to_list() == [[0, 1, 2]]


def test_a_cache_file_holding_valid_json_of_the_wrong_shape_is_recomputed(tmp_path):
    s = Sweep(square, cache_dir=tmp_path, name="sq")
    s.run({"n": [5]}, executor=SerialExecutor())
    path = next((tmp_path / "sq").glob("*.json"))
    path.write_text("[1, 2]")
    s.run({"n": [5]}, executor=SerialExecutor())
    assert s.computed == 1 and json.loads(path.read_text())["rows"] == [{"value": 25}]
