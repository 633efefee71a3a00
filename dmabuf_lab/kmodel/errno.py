"""Linux errno values (include/uapi/asm-generic/errno-base.h, errno.h and
include/linux/errno.h) and the one exception kernel paths raise with them.

Kernel functions in the lab return ``-EINVAL`` style negative ints, return an
``ERR_PTR`` (see ``err_ptr``), or raise :class:`KernelError` carrying the errno.
"""
from __future__ import annotations

EPERM = 1
ENOENT = 2
EINTR = 4
EIO = 5
ENXIO = 6
E2BIG = 7
EBADF = 9
EAGAIN = 11
ENOMEM = 12
EACCES = 13
EFAULT = 14
EBUSY = 16
EEXIST = 17
EXDEV = 18
ENODEV = 19
EINVAL = 22
EMFILE = 24
ENOSPC = 28
ERANGE = 34
EDEADLK = 35
ENOSYS = 38
EOVERFLOW = 75
EOPNOTSUPP = 95
ETIMEDOUT = 110
EALREADY = 114
# Kernel-internal values (include/linux/errno.h), never seen by user space.
ENOTSUPP = 524

EWOULDBLOCK = EAGAIN
ENOTSUP = EOPNOTSUPP

#: Largest errno an ERR_PTR may carry (include/linux/err.h).
MAX_ERRNO = 4095

_NAMES = {
    "EPERM": EPERM, "ENOENT": ENOENT, "EINTR": EINTR, "EIO": EIO, "ENXIO": ENXIO,
    "E2BIG": E2BIG, "EBADF": EBADF, "EAGAIN": EAGAIN, "ENOMEM": ENOMEM, "EACCES": EACCES,
    "EFAULT": EFAULT, "EBUSY": EBUSY, "EEXIST": EEXIST, "EXDEV": EXDEV, "ENODEV": ENODEV,
    "EINVAL": EINVAL, "EMFILE": EMFILE, "ENOSPC": ENOSPC, "ERANGE": ERANGE, "ETIMEDOUT": ETIMEDOUT, "EDEADLK": EDEADLK,
    "ENOSYS": ENOSYS, "EOVERFLOW": EOVERFLOW, "EOPNOTSUPP": EOPNOTSUPP,
    "EALREADY": EALREADY, "ENOTSUPP": ENOTSUPP,
}
# Aliases parse, but a value always prints under its primary name.
_ALIASES = {"EWOULDBLOCK": EAGAIN, "ENOTSUP": EOPNOTSUPP}
_BY_VALUE = {v: k for k, v in _NAMES.items()}


def errname(err: int) -> str:
    """Name an errno in either sign: ``errname(-22) == errname(22) == "-EINVAL"``.

    0 prints as ``"0"``; an unknown value as ``"-E<n>"``.
    """
    err = int(err)
    if err == 0:
        return "0"
    name = _BY_VALUE.get(abs(err))
    return "-" + name if name else f"-E{abs(err)}"


def parse_errno(text: str | int) -> int:
    """Parse ``"-EINVAL"``, ``"EINVAL"``, ``"-22"`` or ``22`` into a negative errno.

    ``"0"``/``0`` parse as 0 (success). An unknown name raises ``ValueError``
    listing the known names.
    """
    if isinstance(text, bool):
        raise ValueError(f"not an errno: {text!r}")
    if isinstance(text, int):
        return -abs(text)
    s = str(text).strip()
    body = s[1:] if s.startswith("-") else s
    if body.lstrip("+").isdigit():
        return -abs(int(body))
    key = body.upper()
    if key in _NAMES:
        return -_NAMES[key]
    if key in _ALIASES:
        return -_ALIASES[key]
    known = ", ".join(sorted(_NAMES))
    raise ValueError(f"unknown errno {text!r}; expected one of {known} or a number")


class KernelError(Exception):
    """A kernel path failed with an errno.

    ``KernelError(-EINVAL, "nranges is 0")`` and ``KernelError(EINVAL, ...)`` are
    the same: ``.errno`` is positive (22), ``.code`` negative (-22), and
    ``str()`` reads ``"-EINVAL: nranges is 0"``.
    """

    def __init__(self, err: int, msg: str = ""):
        err = int(err)
        if err == 0:
            raise ValueError("KernelError needs a non-zero errno")
        self.errno = abs(err)
        self.code = -self.errno
        self.msg = msg
        super().__init__(str(self))

    @property
    def name(self) -> str:
        return errname(self.code)

    def __str__(self) -> str:
        return f"{self.name}: {self.msg}" if self.msg else self.name

    def __reduce__(self):
        return (KernelError, (self.code, self.msg))
