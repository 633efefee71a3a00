"""run_tasks: any executor, results merged by key, a cache that survives concurrent writers."""
from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from dmabuf_lab.tasks.executors import SerialExecutor, lab_executor, worker_slots
from dmabuf_lab.tasks.engine import (RunStats, Task, TaskError, TextProgress, lab_digest, run_chunk,
                                          run_tasks, task_key)
from dmabuf_lab.paths import atomic_write_bytes

CALLS: list = []


def slow_square(n: int, delay: float = 0.0) -> dict:
    CALLS.append(n)
    time.sleep(delay)
    return {"n": n, "square": n * n, "pair": (n, -n)}


def boom(n: int) -> dict:
    raise RuntimeError(f"no {n}")


def a_set(n: int):
    return {n}


def squares(count: int, delay=lambda n: 0.0) -> list[Task]:
    return [Task((n % 3, n), slow_square, {"n": n, "delay": delay(n)}) for n in range(count)]


def test_results_come_back_in_key_order_whatever_finishes_first(tmp_path):
    # later tasks finish first on four threads; the merge order must not care
    with ThreadPoolExecutor(4) as pool:
        threaded = run_tasks(squares(12, lambda n: 0.02 * (12 - n)), name="sq", executor=pool,
                             cache=False, chunk=1)
    serial = run_tasks(squares(12, lambda n: 0.02 * (12 - n)), name="sq", executor=SerialExecutor(),
                       cache=False)
    assert list(threaded) == sorted(threaded) == [(n % 3, n) for n in sorted(range(12), key=lambda n: (n % 3, n))]
    assert threaded == serial
    # tuples come back as JSON lists, the same as a cached value would
    assert threaded[(1, 4)] == {"n": 4, "square": 16, "pair": [4, -4]}


def test_keys_with_nested_tuples_merge_in_numeric_order():
    # a task key may hold a path of child indices (a prefix of a search tree)
    tasks = [Task((0, path), slow_square, {"n": i}) for i, path in
             enumerate([(10,), (2, 1), (2,), (1, 10), (1, 9)])]
    out = run_tasks(tasks, name="tree", executor=SerialExecutor(), cache=False)
    assert list(out) == [(0, (1, 9)), (0, (1, 10)), (0, (2,)), (0, (2, 1)), (0, (10,))]


def test_a_second_run_is_read_from_the_cache_and_a_changed_task_alone_is_computed(tmp_path):
    CALLS.clear()
    first_stats, second_stats, third_stats = RunStats(), RunStats(), RunStats()
    first = run_tasks(squares(6), name="sq", executor=SerialExecutor(), cache=tmp_path, stats=first_stats)
    assert (first_stats.computed, first_stats.cached) == (6, 0) and len(CALLS) == 6
    second = run_tasks(squares(6), name="sq", executor=SerialExecutor(), cache=tmp_path, stats=second_stats)
    assert (second_stats.computed, second_stats.cached) == (0, 6) and len(CALLS) == 6
    assert second == first
    changed = squares(6)
    changed[2] = Task(changed[2].key, slow_square, {"n": 7, "delay": 0.0})
    third = run_tasks(changed, name="sq", executor=SerialExecutor(), cache=tmp_path, stats=third_stats)
    assert (third_stats.computed, third_stats.cached) == (1, 5) and CALLS[-1] == 7
    assert third[changed[2].key]["square"] == 49


def test_the_cache_key_covers_function_arguments_and_lab_code():
    assert task_key(slow_square, {"n": 1}, "a") != task_key(slow_square, {"n": 2}, "a")
    assert task_key(slow_square, {"n": 1}, "a") != task_key(slow_square, {"n": 1}, "b")
    assert task_key(slow_square, {"n": 1}, "a") != task_key(boom, {"n": 1}, "a")
    assert task_key(slow_square, {"n": 1, "delay": 0}, "a") == task_key(slow_square, {"delay": 0, "n": 1}, "a")
    assert len(lab_digest()) == 24 and lab_digest() == lab_digest()


def test_an_unreadable_or_foreign_cache_entry_is_computed_again(tmp_path):
    run_tasks(squares(2), name="sq", executor=SerialExecutor(), cache=tmp_path)
    entries = sorted((tmp_path / "sq").rglob("*.json"))
    assert len(entries) == 2
    entries[0].write_text("{ truncated")
    record = json.loads(entries[1].read_text())
    record["key"] = "0" * 32
    entries[1].write_text(json.dumps(record))
    stats = RunStats()
    again = run_tasks(squares(2), name="sq", executor=SerialExecutor(), cache=tmp_path, stats=stats)
    assert stats.computed == 2 and again[(0, 0)]["square"] == 0 and again[(1, 1)]["square"] == 1


def test_two_runs_filling_one_cache_at_once_leave_only_whole_entries(tmp_path):
    tasks = [Task((n,), slow_square, {"n": n}) for n in range(300)]
    with ThreadPoolExecutor(2) as outer:
        a, b = [outer.submit(run_tasks, tasks, name="race", executor=SerialExecutor(), cache=tmp_path)
                for _ in range(2)]
        assert a.result() == b.result()
    files = list((tmp_path / "race").rglob("*"))
    assert not [f for f in files if f.name.endswith(".tmp")]
    entries = [f for f in files if f.suffix == ".json"]
    assert len(entries) == 300
    assert all(json.loads(f.read_text())["value"]["square"] == json.loads(f.read_text())["value"]["n"] ** 2
               for f in entries)


def test_atomic_writes_from_many_threads_never_collide(tmp_path):
    target = tmp_path / "one.json"
    payloads = [bytes([65 + i]) * 4096 for i in range(8)]
    errors = []

    def writer(data):
        try:
            for _ in range(100):
                atomic_write_bytes(target, data)
        except Exception as exc:   # a shared temporary name shows up here
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(p,)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert target.read_bytes() in payloads
    assert [f.name for f in tmp_path.iterdir()] == ["one.json"]


def test_a_failing_task_is_named_by_its_key(tmp_path):
    tasks = [Task(("ok",), slow_square, {"n": 1}), Task(("bad", 3), boom, {"n": 3})]
    with pytest.raises(TaskError, match=r"task \('bad', 3\).*boom.*RuntimeError: no 3"):
        run_tasks(tasks, name="sq", executor=SerialExecutor(), cache=tmp_path)


def test_two_tasks_with_one_key_and_unstorable_results_are_refused(tmp_path):
    with pytest.raises(TaskError, match="share the key"):
        run_tasks([Task((1,), slow_square, {"n": 1}), Task((1,), slow_square, {"n": 2})], name="sq",
                  executor=SerialExecutor(), cache=False)
    with pytest.raises(TaskError, match="set .* cannot be stored as JSON"):
        run_tasks([Task((1,), a_set, {"n": 1})], name="sq", executor=SerialExecutor(), cache=False)


def test_a_worker_with_other_lab_code_refuses_the_batch():
    with pytest.raises(TaskError, match="different lab code"):
        run_chunk([(slow_square, {"n": 1})], lab="not-this-lab")
    assert run_chunk([(slow_square, {"n": 2})], lab=lab_digest())[0][0] == "ok"


def test_local_processes_by_default(tmp_path):
    with lab_executor(workers=2) as ex:
        out = run_tasks(squares(5), name="sq", executor=ex, cache=False)
        assert worker_slots(ex) == 2
    assert [v["square"] for v in out.values()] == [0, 9, 1, 16, 4]   # keys (0,0) (0,3) (1,1) (1,4) (2,2)


def test_progress_counts_tasks_done_out_of_total(tmp_path):
    seen = []
    run_tasks(squares(4), name="sq", executor=SerialExecutor(), cache=tmp_path, chunk=1,
              progress=lambda done, total: seen.append((done, total)))
    assert seen == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
    seen.clear()
    run_tasks(squares(4), name="sq", executor=SerialExecutor(), cache=tmp_path,
              progress=lambda done, total: seen.append((done, total)))
    assert seen == [(4, 4)]     # all cached: done at once


def test_text_progress_prints_the_last_line(capsys):
    import sys

    p = TextProgress("fault sweep", stream=sys.stdout, every=3600)
    for done in range(0, 11):
        p(done, 10)
    assert capsys.readouterr().out.splitlines() == ["fault sweep: 0/10 tasks", "fault sweep: 10/10 tasks"]


def test_negative_workers_are_refused():
    from dmabuf_lab.errors import LabInputError

    with pytest.raises(LabInputError, match="--workers"):
        with lab_executor(workers=-1):
            pass
