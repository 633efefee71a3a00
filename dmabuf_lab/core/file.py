"""The anonymous file behind a dma-buf, its reference count and the fd table.

A dma_buf lives exactly as long as its ``struct file``: dma_buf_put() is an
fput(), and the last fput() releases the buffer.  The model keeps one fd
table per modelled :class:`~dmabuf_lab.kmodel.Kernel`, so ``dma_buf_fd()``,
``dma_buf_get()`` and ``close_fd()`` behave like their syscall-side cousins.
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable, Optional

from dmabuf_lab.kmodel import EBADF, ENOMEM, ERR_PTR, current_kernel, kfree, kstruct, kzalloc
from dmabuf_lab.kmodel.sched import atomic, current_task, shared_access


class file(kstruct):
    """struct file, reduced to what dma-buf uses.

    ``f_count`` is the reference count, ``private_data`` the dma_buf (NULL
    until dma_buf_export() has finished, so an early fput() skips release),
    ``f_op_release`` the release hook run by the last fput().
    """

    fields = ("f_count", "f_flags", "private_data", "f_op_release")
    #: an fput() of the last user reference races get_file_active() in an exporter's walk
    shared = ("f_count",)


def alloc_file_pseudo(flags: int, release: Callable[[Any], None]):
    """Allocate a pseudo-fs file with one reference (fs/file_table.c).

    Returns the file, or ERR_PTR(-ENOMEM) when the allocation fails.
    """
    f = kzalloc(file)
    if f is None:
        return ERR_PTR(-ENOMEM)
    f.f_count = 1
    f.f_flags = flags
    f.f_op_release = release
    return f


def get_file(f) -> Any:
    """Take one more reference on ``f`` (one atomic increment)."""
    with atomic(f, "f_count"):
        f.f_count += 1
    return f


def get_file_active(f) -> Optional[Any]:
    """Take a reference only if the file is not already on its way out
    (atomic_long_inc_not_zero: one atomic action)."""
    if f is None:
        return None
    with atomic(f, "f_count"):
        if f.f_count == 0:
            return None
        f.f_count += 1
    return f


def fput(f) -> None:
    """Drop a reference; the last one runs the release hook and frees the file.

    Inside :func:`syscall` (a user task in a system call) the last
    reference's ``__fput()`` is queued as task work and runs only when the
    call returns to user space, as fs/file_table.c does for a task that is
    not a kernel thread; elsewhere it runs at once.
    """
    with atomic(f, "f_count"):             # atomic_long_dec_and_test
        f.f_count -= 1
        last = f.f_count == 0
    if last:
        stack = _task_work_stack(create=False)
        if stack:
            stack[-1].append(f)
        else:
            __fput(f)


def __fput(f) -> None:
    """The final put: the file's release hook, then free the file."""
    release = f.f_op_release
    if release is not None:
        release(f)
    kfree(f)


#: Per modelled kernel and per task (a model thread of a concurrent run is a task of its own):
#: a stack of task-work queues, one per open syscall().
def _task_work_stack(create: bool):
    k = current_kernel()
    per_task = k.per_run("task_work", dict) if create else k.per_run_get("task_work")
    if per_task is None:
        return None
    task = current_task()
    return per_task.setdefault(task, []) if create else per_task.get(task)


@contextlib.contextmanager
def syscall():
    """Run the block as one system call of a user task.

    A final fput() inside it is deferred (task_work_add) and its
    ``__fput()`` runs when the block ends, on the way back to user space
    (task_work_run), after everything the call did itself.
    """
    stack = _task_work_stack(create=True)
    stack.append([])
    try:
        yield
    finally:
        pending = stack.pop()
        for f in pending:                    # task_work_run()
            __fput(f)


# --- fd table ------------------------------------------------------------

#: -EMFILE (include/uapi/asm-generic/errno-base.h): the fd limit is reached.
EMFILE = 24
#: RLIMIT_NOFILE of the modelled process (the usual soft limit).
RLIMIT_NOFILE = 1024


class _fdtable:
    """The open fds of the modelled process and its RLIMIT_NOFILE."""

    def __init__(self):
        self.fds: dict[int, Any] = {}
        self.limit = RLIMIT_NOFILE


def _fd_table() -> _fdtable:
    return current_kernel().per_run("fdtable", _fdtable)


def set_rlimit_nofile(limit: int) -> None:
    """Set the fd limit of the current run (lab control for -EMFILE paths)."""
    _fd_table().limit = int(limit)


def fd_install_new(f) -> int:
    """get_unused_fd_flags() + fd_install(): the fd now owns one reference.

    Returns the lowest free fd from 3 up, or -EMFILE at the run's fd limit.
    """
    table = _fd_table()
    shared_access(table, "fds", True)       # another thread's close() or fget() may race it
    fd = 3
    while fd in table.fds:
        fd += 1
    if fd >= table.limit:
        return -EMFILE
    table.fds[fd] = f
    return fd


def fget(fd: int):
    """Look up ``fd`` and take a reference on its file, or None (one atomic action)."""
    table = _fd_table()
    # the lookup and the increment are one action: fget() retries under RCU until it
    # takes a reference on the file the slot holds, and a file whose count reached zero
    # is never resurrected (inc-not-zero); a close() is ordered before or after it
    with atomic(table, "fds"):
        f = table.fds.get(fd)
        if f is None:
            return None
        return get_file_active(f)


def close_fd(fd: int) -> int:
    """close(2): drop the fd's reference.  Returns 0 or -EBADF."""
    table = _fd_table()
    shared_access(table, "fds", True)
    f = table.fds.pop(fd, None)
    if f is None:
        return -EBADF
    fput(f)
    return 0
