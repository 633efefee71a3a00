"""Error-valued pointers, as in include/linux/err.h.

In C a function returning a pointer folds an errno into the top 4095 values of
the address space.  Here :func:`ERR_PTR` returns a small :class:`ErrPtr` object
so a model can return "a pointer or an error" exactly like the C, and the
checks work on any value: ``IS_ERR(obj)`` is False for real objects and None.
"""
from __future__ import annotations

from .errno import MAX_ERRNO, errname

_WORD = (1 << 64) - 1


class ErrPtr:
    """The value of ``ERR_PTR(err)``; ``.err`` is the negative errno."""

    __slots__ = ("err",)

    def __init__(self, err: int):
        self.err = int(err)

    @property
    def word(self) -> int:
        """The 64-bit pointer value the C would hold (``(unsigned long)err``)."""
        return self.err & _WORD

    def __eq__(self, other):
        return isinstance(other, ErrPtr) and other.err == self.err

    def __hash__(self):
        return hash(("ErrPtr", self.err))

    def __bool__(self):
        # An ERR_PTR is a non-NULL pointer: `if (!ptr)` does not catch it.
        return True

    def __repr__(self):
        return f"ERR_PTR({errname(self.err)})"


def ERR_PTR(err: int) -> ErrPtr:
    """Fold a negative errno into a pointer value.

    Raises ``ValueError`` for an errno outside ``-MAX_ERRNO..-1``: in C that
    would yield a pointer IS_ERR() does not recognise, a bug in the model.
    """
    err = int(err)
    if not -MAX_ERRNO <= err < 0:
        raise ValueError(f"ERR_PTR({err}): errno must be in -{MAX_ERRNO}..-1")
    return ErrPtr(err)


def IS_ERR(ptr) -> bool:
    """True when ``ptr`` is an ERR_PTR value; False for anything else, None included."""
    return isinstance(ptr, ErrPtr)


def IS_ERR_OR_NULL(ptr) -> bool:
    """True for None (NULL) or an ERR_PTR value."""
    return ptr is None or isinstance(ptr, ErrPtr)


def PTR_ERR(ptr) -> int:
    """The negative errno inside an ERR_PTR.

    The C casts any pointer to long; for a valid pointer that is a bug, so the
    model raises ``TypeError`` instead of returning an address.
    """
    if isinstance(ptr, ErrPtr):
        return ptr.err
    raise TypeError(f"PTR_ERR() on a value that is not an ERR_PTR: {ptr!r}")


def PTR_ERR_OR_ZERO(ptr) -> int:
    """``PTR_ERR(ptr)`` for an error, else 0."""
    return ptr.err if isinstance(ptr, ErrPtr) else 0


def ERR_CAST(ptr) -> ErrPtr:
    """Pass an ERR_PTR on under another pointer type (identity here)."""
    if not isinstance(ptr, ErrPtr):
        raise TypeError(f"ERR_CAST() on a value that is not an ERR_PTR: {ptr!r}")
    return ptr
