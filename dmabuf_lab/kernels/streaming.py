"""Streaming stores for the CPU kernels' outputs.

A kernel writing hundreds of megabytes of output with ordinary stores makes
the CPU read every output cache line before overwriting it (read for
ownership): a third memory stream the copy roofline does not pay, since
``memcpy`` switches to non-temporal stores for large copies.  ``store`` here
is one output store: with ``nt`` a non-temporal store (LLVM
``!nontemporal``) in the CPU kernels, else, and always on the GPU, a plain
store.  Non-temporal outputs land in memory, not in the cache, so the
kernels use them only for outputs well beyond the last-level cache
(:data:`STREAM_MIN_BYTES`), where they would not stay cached anyway.  A
kernel that wrote with them ends each chunk of work with
``stream_fence()`` so that the stores are visible to the other threads.

Whether they pay depends on the machine, so they are opt-in
(:data:`STREAM_ENV`).  On the shared 2-core VM the benchmarks ran on, at
10^7 ranges, the translations took 2.5-5x longer with them and the
page-table emission 1.7x (the split: no difference): every kernel writes
four or five output columns at once, each advancing by one 4- or 8-byte
store per range, and with that many partly filled write-combining lines
the non-temporal stores fell far below plain ones, while a one-column copy
gained from them.
"""
from __future__ import annotations

import os

from .twin import Twin


STREAM_MIN_BYTES = 64 << 20  # twice the 32 MiB L3 of the machine the benchmarks ran on
STREAM_ENV = "DMABUF_LAB_STREAM_STORES"  # "1": non-temporal stores beyond STREAM_MIN_BYTES; "0" or unset: never


def stream_stores_enabled() -> bool:
    """Whether :data:`STREAM_ENV` asks for non-temporal stores (off unless it says ``1``)."""
    raw = os.environ.get(STREAM_ENV, "0").strip()
    if raw not in ("", "0", "1"):
        raise ValueError(f"{STREAM_ENV} must be 0 or 1, got {raw!r}")
    return raw == "1"


def streaming(nbytes: int) -> bool:
    """Whether a kernel writing ``nbytes`` of output should use non-temporal stores."""
    return nbytes >= STREAM_MIN_BYTES and stream_stores_enabled()


def nt_flag(nbytes: int):
    """The ``nt`` a CPU kernel writing ``nbytes`` gets: ``True`` for non-temporal
    stores, else ``None``, which numba compiles to plain stores with no test
    per store (``False`` would keep the test: 9% more CPU time per range in
    the fast-path translation)."""
    return True if streaming(nbytes) else None


def plain_store(arr, i, v, nt):
    """``arr[i] = v``."""
    arr[i] = v


def _nothing():
    return None


try:
    from llvmlite import ir
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic
except ImportError:  # without numba everything runs as plain Python
    stream_store, stream_fence = None, _nothing
else:
    @intrinsic
    def stream_store(typingctx, arr, idx, val):
        """``arr[idx] = val`` as a non-temporal store (1-D contiguous ``arr``, no bounds check)."""
        def codegen(context, builder, sig, args):
            arrty = sig.args[0]
            ary = context.make_array(arrty)(context, builder, args[0])
            ptr = cgutils.get_item_pointer(context, builder, arrty, ary, [args[1]], wraparound=False)
            st = builder.store(context.cast(builder, args[2], sig.args[2], arrty.dtype), ptr)
            if context.get_abi_sizeof(context.get_data_type(arrty.dtype)) >= 4:
                # x86 has no non-temporal store below 32 bits: byte and half-word
                # columns stay ordinary stores rather than partial write-combined lines
                st.set_metadata("nontemporal", builder.module.add_metadata([ir.IntType(32)(1)]))
            return context.get_dummy_value()
        return types.void(arr, idx, val), codegen

    @intrinsic
    def stream_fence(typingctx):
        """A full memory fence (``mfence`` on x86): orders the streaming stores before it."""
        def codegen(context, builder, sig, args):
            builder.fence("seq_cst")
            return context.get_dummy_value()
        return types.void(), codegen


def store_or_stream(arr, i, v, nt):
    """``arr[i] = v``, non-temporal when ``nt``.  ``nt=None`` is a type of its
    own to numba: a kernel given it is compiled with plain stores only,
    without a test per store (see :func:`nt_flag`)."""
    if nt is None:
        arr[i] = v
    elif nt:
        stream_store(arr, i, v)
    else:
        arr[i] = v


store = Twin(plain_store, cpu=plain_store if stream_store is None else Twin(store_or_stream).cpu)
