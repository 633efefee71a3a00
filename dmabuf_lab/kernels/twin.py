"""Device bodies written once, compiled for the CPU (numba ``njit``) and the GPU
(``numba.cuda.jit(device=True)``).

A body is a plain Python function over scalars and arrays.  It calls other
bodies by their module-level names; :func:`device` wraps it in a
:class:`Twin`, and each target gets a copy of the function whose global names
for other twins are bound to that target's compiled version.  The plain
function stays callable from Python too (the CUDA simulator runs it as is).

A twin can also name two different implementations (``cpu=`` and
``cuda=``) where the targets need different code for the same operation, as
the bit scans do (LLVM intrinsics on the CPU, portable arithmetic on the GPU).
"""
from __future__ import annotations

import types

from .jit import numba


class Twin:
    """One device function, compiled per target on first use."""

    def __init__(self, py, cpu=None, cuda=None):
        self.py = py
        self.__name__ = py.__name__
        self.__doc__ = py.__doc__
        self._given = {"cpu": cpu, "cuda": cuda}
        self._built = {}

    def __call__(self, *args):
        return self.py(*args)

    @property
    def cpu(self):
        """The ``njit(inline="always")`` version, inlined into the kernels at
        numba's IR level.  (Left to LLVM, a body too big to inline is called
        with the record flattened into ~100 arguments and its arrays'
        reference counts updated: 140-350 ns per call instead of a few.)"""
        if "cpu" not in self._built:
            fn = self._given["cpu"]
            self._built["cpu"] = fn if fn is not None else numba.njit(inline="always", cache=True)(
                retarget(self.py, "cpu"))
        return self._built["cpu"]

    @property
    def cuda(self):
        """The ``cuda.jit(device=True)`` version (imports numba.cuda)."""
        if "cuda" not in self._built:
            from numba import cuda
            fn = self._given["cuda"]
            self._built["cuda"] = cuda.jit(device=True)(retarget(fn if fn is not None else self.py, "cuda"))
        return self._built["cuda"]


def device(py=None, *, cpu=None, cuda=None):
    """Decorator: make ``py`` a :class:`Twin` (``@device`` or ``device(f, cpu=..., cuda=...)``)."""
    if py is None:
        return lambda f: Twin(f, cpu, cuda)
    return Twin(py, cpu, cuda)


def retarget(fn, target: str, bind=None):
    """A copy of ``fn`` whose globals name ``target``'s version of every twin it calls.

    Kernels (``@cuda.jit`` or ``@numba.njit(parallel=True)``) go through this
    too, so they call the compiled bodies and not the wrappers.  ``bind``
    (``{"place": place_sriov}``) makes a name call another twin instead: a
    kernel specialised to one path, named (and cached) apart from the general one."""
    glb = fn.__globals__
    names = _called_names(fn.__code__)
    repl = {k: getattr(glb[k], target) for k in names if isinstance(glb.get(k), Twin)}
    repl.update({k: getattr(tw, target) for k, tw in (bind or {}).items()})
    if not repl:
        return fn
    new_glb = dict(glb)
    new_glb.update(repl)
    out = types.FunctionType(fn.__code__, new_glb, fn.__name__, fn.__defaults__, fn.__closure__)
    out.__qualname__ = fn.__qualname__ + "".join(f"__{k}_{tw.__name__}" for k, tw in (bind or {}).items())
    out.__doc__ = fn.__doc__
    out.__module__ = fn.__module__
    return out


def _called_names(code) -> set:
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= _called_names(c)
    return names


def cpu_kernel(bind=None, **opts):
    """``numba.njit(**opts)`` of a kernel after binding the CPU twins it calls
    (and the names in ``bind``, see :func:`retarget`)."""
    return lambda fn: numba.njit(**opts)(retarget(fn, "cpu", bind))


def cuda_kernel(fn):
    """``numba.cuda.jit`` of a kernel after binding the CUDA twins it calls (compiled at first use)."""
    from numba import cuda
    return cuda.jit(retarget(fn, "cuda"))


# the bit scans every body uses: LLVM cttz/ctlz on the CPU, halving arithmetic on the GPU
# (the CUDA simulator's ffs/clz look at 32 bits only, so the GPU code avoids them)
from .bitops import portable_ffs, portable_fls  # noqa: E402
from .jit import nb_ffs, nb_fls  # noqa: E402

ffs = Twin(portable_ffs, cpu=nb_ffs)
fls = Twin(portable_fls, cpu=nb_fls)
