"""The kernel-runtime model: errno, ERR_PTR, a checked allocator, fault
injection, the reservation lock and WARNs, and the xarray.

    from dmabuf_lab.kmodel import Kernel, kzalloc, kfree, fault_sweep
    with Kernel() as k:
        ...
    k.findings

Outside any ``with Kernel()`` block everything works against one process-wide
default run (``default_kernel()``), which reports leaks only when asked
(``check_leaks()``).  ``dmabuf_lab.kmodel.xarray`` is the module (lib/xarray.c);
the struct is ``from dmabuf_lab.kmodel.xarray import xarray``.
"""
from types import ModuleType as _ModuleType

from .errno import (E2BIG, EACCES, EAGAIN, EALREADY, EBADF, EBUSY, EDEADLK, EEXIST, EFAULT,
                    EINTR, EINVAL, EIO, ENODEV, ENOENT, ENOMEM, ENOSPC, ENOSYS, ENOTSUPP, ENXIO,
                    EOPNOTSUPP, EOVERFLOW, EPERM, ERANGE, ETIMEDOUT, EWOULDBLOCK, EXDEV, MAX_ERRNO,
                    KernelError, errname, parse_errno)
from .err_ptr import (ERR_CAST, ERR_PTR, IS_ERR, IS_ERR_OR_NULL, PTR_ERR, PTR_ERR_OR_ZERO,
                      ErrPtr)
from .runtime import (FINDING_KINDS, Finding, Kernel, call_site, current_kernel,
                      default_kernel, report)
from .alloc import (GFP_ATOMIC, GFP_KERNEL, GFP_NOWAIT, INT_MAX, KMALLOC_MAX_SIZE, SIZE_MAX,
                    __GFP_NOFAIL, __GFP_NOWARN, __GFP_ZERO, Allocation, KArray,
                    allocation_of, gfpflags_allow_blocking, is_freed, kcalloc, kfree,
                    kmalloc, kmalloc_array, kmemleak_not_leak, kstruct, kvcalloc, kvfree,
                    kvmalloc, kvmalloc_array, kvzalloc, kzalloc)
from .fault import (OUTCOMES, FaultInjector, FaultSweep, SweepRow, fail_nth_from_now, fault_sweep,
                    run_path)
from .resv import (WARN, WARN_ON, WARN_ON_ONCE, assert_spin_locked, dma_resv,
                   dma_resv_assert_held, dma_resv_fini, dma_resv_held, dma_resv_init,
                   dma_resv_lock, dma_resv_lock_interruptible, dma_resv_trylock,
                   dma_resv_unlock, might_sleep, spin_lock, spin_lock_init, spin_unlock,
                   spinlock_t, ww_acquire_ctx, ww_acquire_fini, ww_acquire_init)
from .xarray import (DEFINE_XARRAY, XA_CHUNK_SHIFT, XA_CHUNK_SIZE, XA_ERROR, XA_RETRY_ENTRY,
                     XA_ZERO_ENTRY, XaCorruption, xa_count_nodes, xa_destroy, xa_empty,
                     xa_err, xa_erase, xa_for_each, xa_init, xa_is_advanced, xa_is_err,
                     xa_is_internal, xa_is_value, xa_is_zero, xa_load, xa_mk_internal,
                     xa_mk_value, xa_node, xa_nodes_for, xa_store, xa_to_value)


def fail_nth(n: int | None, name: str = "fail-nth") -> Kernel:
    """``Kernel(fail_nth=n)``: a run whose n-th allocation returns NULL."""
    return Kernel(fail_nth=n, name=name)


# the submodules (``kmodel.xarray`` is lib/xarray.c) are not star-exported
__all__ = [n for n, v in list(globals().items()) if (not n.startswith("_") or n.startswith("__GFP"))
           and not isinstance(v, _ModuleType)]
