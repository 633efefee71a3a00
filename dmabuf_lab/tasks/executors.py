"""Where the lab's sweeps run: this process, local processes, or a Dask cluster.

Every command and notebook that splits work into tasks gets its
``concurrent.futures`` executor from :func:`lab_executor`, so the choice is
made in one place and the same way everywhere:

* a Dask scheduler address -- given as ``scheduler=`` (the commands'
  ``--scheduler ADDRESS``) or, when none is given, read from
  ``$DMABUF_LAB_SCHEDULER``, which ``dmabuf-lab run --scheduler`` sets for
  the notebooks it runs -- sends the tasks to that cluster through
  ``distributed.Client(address).get_executor()``;
* otherwise a local ``ProcessPoolExecutor`` with ``workers`` processes
  (default: one per CPU);
* ``workers=0`` runs every task at once in the calling process
  (:class:`SerialExecutor`: debugging, tiny sweeps, reference runs).
"""
from __future__ import annotations

import os
import socket
import sys
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Iterator

from dmabuf_lab.errors import LabInputError

SCHEDULER_ENV = "DMABUF_LAB_SCHEDULER"


class SchedulerError(LabInputError):
    """A Dask scheduler address that cannot be used."""


class SerialExecutor(Executor):
    """Runs each task at once in the calling process (debugging, tiny sweeps)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future
            fut.set_exception(exc)
        return fut


def scheduler_address(scheduler: str | None = None) -> str | None:
    """The scheduler to use: ``scheduler`` if given, else ``$DMABUF_LAB_SCHEDULER``, else None."""
    if scheduler:
        return scheduler.strip()
    env = os.environ.get(SCHEDULER_ENV, "").strip()
    return env or None


def default_workers() -> int:
    """Local worker processes when none is asked for: one per CPU."""
    return max(1, os.cpu_count() or 1)


def describe(scheduler: str | None = None, workers: int | None = None) -> str:
    """Where :func:`lab_executor` with these arguments sends the work, in words."""
    address = scheduler_address(scheduler)
    if address:
        return f"Dask scheduler {address}"
    if workers == 0:
        return "this process"
    n = min(workers or default_workers(), default_workers())     # capped as LabExecutor caps it
    return f"up to {n} local process{'es' * (n != 1)}"


def connect(address: str, timeout: float = 10.0, field: str = "--scheduler"):
    """A ``distributed.Client`` for ``address``, or a :class:`SchedulerError` saying why not."""
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - dask[distributed] is a dependency
        raise SchedulerError(f"a scheduler was given ({address}) but dask.distributed is not installed "
                             f"({exc}); pip install 'dask[distributed]'", field=field) from None
    try:
        _probe(address, timeout)
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise SchedulerError(f"cannot reach the Dask scheduler at {address!r}: {exc}; expected the "
                             "address a running `dask scheduler` prints, e.g. tcp://127.0.0.1:8786",
                             field=field) from None


def _probe(address: str, timeout: float) -> None:
    """Open and close a TCP connection to a tcp:// or tls:// scheduler.

    A refused or unroutable address then fails at once, with the socket's
    own error, instead of after the client's retries.
    """
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import backends

    scheme, location = parse_address(address)
    if scheme not in backends:
        raise ValueError(f"unknown address scheme {scheme!r} (known: {', '.join(sorted(backends))})")
    if scheme in ("tcp", "tls"):
        host, port = parse_host_port(location)
        with socket.create_connection((host, port), timeout=timeout):
            pass


def check_scheduler(address: str) -> str:
    """Connect to ``address`` once and say what is there (raises :class:`SchedulerError`)."""
    client = connect(address)
    try:
        threads = client.nthreads()
    finally:
        client.close()
    if not threads:
        return f"Dask scheduler {address}: no workers yet (tasks wait until one joins)"
    return (f"Dask scheduler {address}: {len(threads)} worker{'s' * (len(threads) != 1)}, "
            f"{sum(threads.values())} threads")


def worker_slots(executor: Executor) -> int | None:
    """How many tasks ``executor`` runs at once, when it says (None otherwise)."""
    if isinstance(executor, LabExecutor):
        executor = executor.inner()
    n = getattr(executor, "_max_workers", None)
    if isinstance(n, int):
        return n
    client = getattr(executor, "_client", None)
    if client is not None:
        try:
            return max(1, sum(client.nthreads().values()))
        except Exception:
            return None
    if isinstance(executor, SerialExecutor):
        return 1
    return None


class LabExecutor(Executor):
    """The executor :func:`lab_executor` chose, opened on the first task submitted.

    A run served entirely from the cache thus starts no process and
    connects to no scheduler.
    """

    def __init__(self, scheduler: str | None, workers: int | None):
        self.address = scheduler_address(scheduler)
        self.field = "--scheduler" if scheduler else f"${SCHEDULER_ENV}"
        self.workers = workers
        self.tasks: int | None = None      # how many tasks will run, when the caller says (limit())
        self._inner: Executor | None = None
        self._client = None

    def limit(self, tasks: int) -> None:
        """Say how many tasks are coming, before the first is submitted: no more local
        processes are started than there are tasks."""
        if self._inner is None:
            self.tasks = max(1, int(tasks))

    def local_workers(self) -> int:
        """Local processes to start: the request (default one per CPU), capped at the CPUs and at
        the tasks; a request above the cap is named in one line on stderr."""
        cpus = default_workers()
        want = self.workers or cpus
        n = min(want, cpus, self.tasks or want)
        if self.workers and n < self.workers:
            why = []
            if cpus == n:
                why.append(f"{cpus} CPU{'s' * (cpus != 1)}")
            if self.tasks == n:
                why.append(f"{self.tasks} task{'s' * (self.tasks != 1)}")
            print(f"-j {self.workers}: capped at {n} worker process{'es' * (n != 1)} "
                  f"({' and '.join(why)})", file=sys.stderr, flush=True)
        return n

    def __repr__(self) -> str:
        return f"<LabExecutor: {describe(self.address, self.workers)}>"

    def inner(self) -> Executor:
        if self._inner is None:
            if self.address:
                self._client = connect(self.address, field=self.field)
                self._inner = self._client.get_executor()
            elif self.workers == 0:
                self._inner = SerialExecutor()
            else:
                self._inner = ProcessPoolExecutor(max_workers=self.local_workers())
        return self._inner

    def submit(self, fn, /, *args, **kwargs) -> Future:
        return self.inner().submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._inner is not None and not isinstance(self._inner, SerialExecutor):
            if self._client is None:
                self._inner.shutdown(wait=wait, cancel_futures=cancel_futures)
            else:
                self._client.close()
        self._inner = self._client = None


@contextmanager
def lab_executor(scheduler: str | None = None, workers: int | None = None) -> Iterator[Executor]:
    """The executor the lab's sweeps run on (see the module docstring); closed on exit."""
    if workers is not None and workers < 0:
        raise LabInputError(f"expected 0 (this process) or a positive number of workers, got {workers}",
                            field="--workers")
    ex = LabExecutor(scheduler, workers)
    try:
        yield ex
    finally:
        ex.shutdown(cancel_futures=True)
