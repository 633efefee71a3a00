"""Deferred work: what an importer finishes later, on another thread.

The model runs on one thread.  An importer whose ``invalidate_mappings``
(or 6.19 ``move_notify``) only schedules its teardown queues the rest with
:func:`queue_work`; the work runs when someone waits for it
(:func:`flush_scheduled_work`: an exporter sleeping in
``wait_for_completion()``), or, if nobody waits, when the step that
queued it is over (the runner's view of "later").  One queue per modelled
kernel run.
"""
from __future__ import annotations

from typing import Callable

from dmabuf_lab.kmodel import current_kernel

def _queue() -> list:
    return current_kernel().per_run("workqueue", list)


def queue_work(fn: Callable[[], None], what: str = "") -> None:
    """Schedule ``fn`` to run later (schedule_work)."""
    _queue().append((fn, what))


def pending_work() -> list[str]:
    """What is queued and has not run yet, by description."""
    return [what for _, what in _queue()]


def flush_scheduled_work() -> int:
    """Run everything queued, including work queued meanwhile; how many items ran."""
    q = _queue()
    n = 0
    while q:
        fn, _ = q.pop(0)
        fn()
        n += 1
    return n
