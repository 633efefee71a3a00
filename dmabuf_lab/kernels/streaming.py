"""Streaming stores for the CPU kernels' outputs.

A kernel writing hundreds of megabytes of output with ordinary stores makes
the CPU read every output cache line before overwriting it (read for
ownership): a third memory stream the copy roofline does not pay, since
``memcpy`` switches to non-temporal stores for large copies.  ``store`` here
is one output store: a non-temporal store (LLVM ``!nontemporal``) in the CPU
kernels, a plain store on the GPU.  The outputs then land in memory, not in
the cache, and a kernel that wrote with them ends its work with
``stream_fence()`` so that the stores are visible to the other threads.
"""
from __future__ import annotations

from .twin import Twin


def plain_store(arr, i, v):
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
    stream_store, stream_fence = plain_store, _nothing
else:
    @intrinsic
    def stream_store(typingctx, arr, idx, val):
        """``arr[idx] = val`` as a non-temporal store (1-D contiguous ``arr``, no bounds check)."""
        def codegen(context, builder, sig, args):
            arrty = sig.args[0]
            ary = context.make_array(arrty)(context, builder, args[0])
            ptr = cgutils.get_item_pointer(context, builder, arrty, ary, [args[1]], wraparound=False)
            st = builder.store(context.cast(builder, args[2], sig.args[2], arrty.dtype), ptr)
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


store = Twin(plain_store, cpu=stream_store)
