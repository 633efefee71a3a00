"""Which C function a Python twin mirrors, pinned to the tree it was read in.

A twin declares its C original with ``@mirrors(PIN)``.  PIN takes one of two
forms:

* a tree: ``"owner/repo@commit:path:function"``, the commit (12 to 40 hex
  digits) of a public repository in which the function was read, e.g.::

    @mirrors("torvalds/linux@0b9828c7231e:drivers/dma-buf/dma-buf-mapping.c:dma_buf_phys_vec_to_sgt")
    def dma_buf_phys_vec_to_sgt(...): ...

* a posting that no public tree carries:
  ``"posting:KEY#N/M:path:function"``, where KEY is the posting's key in
  docs/sources.md (which gives its subject, author, date and Message-ID) and
  ``#N/M`` the patch of the series that adds or changes the function
  (left out for a design argued in a reply rather than posted as a patch).

``gap=`` says, in one line, where the source read is not the tree the
revision claims (no stored copy at the tag, so the newest copy before it was
read; or a design sketched in prose, so the function is the lab's reading).
``revisions=`` names the lab revisions the twin serves when the module's
name does not say it.  The declarations are collected in ``REGISTRY`` as the
modules are imported; ``dmabuf-lab twins`` lists them
(:mod:`dmabuf_lab.twin_index`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable)

_TAIL = r":(?P<path>[A-Za-z0-9_./-]+\.[ch]):(?P<function>[A-Za-z_][A-Za-z0-9_]*)$"
_TREE = re.compile(
    r"^(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)@(?P<commit>[0-9a-f]{12,40})" + _TAIL)
_POSTING = re.compile(
    r"^posting:(?P<posting>[a-z0-9][a-z0-9.-]*)(?:#(?P<patch>[0-9]{1,3}/[0-9]{1,3}))?" + _TAIL)

#: What a pin looks like, for error messages.
PIN_FORMS = "owner/repo@commit:path/file.c:function or posting:KEY#N/M:path/file.c:function"


@dataclass(frozen=True)
class Pin:
    """One C function at one commit of one public tree, or in one posted patch."""

    repo: str
    commit: str
    path: str
    function: str
    #: For a posting: its key in docs/sources.md, and the patch number (``4/8``) if any.
    posting: str = ""
    patch: str = ""

    @property
    def is_posting(self) -> bool:
        return bool(self.posting)

    @property
    def source(self) -> str:
        """Where it was read: ``owner/repo@commit`` or ``posting KEY N/M``."""
        if self.posting:
            return f"posting {self.posting}" + (f" {self.patch}" if self.patch else "")
        return f"{self.repo}@{self.commit}"

    def __str__(self) -> str:
        if self.posting:
            patch = f"#{self.patch}" if self.patch else ""
            return f"posting:{self.posting}{patch}:{self.path}:{self.function}"
        return f"{self.repo}@{self.commit}:{self.path}:{self.function}"


@dataclass(frozen=True)
class TwinDecl:
    """A Python function and the C function it mirrors."""

    pin: Pin
    module: str
    qualname: str
    gap: str | None = None
    revisions: tuple[str, ...] = field(default_factory=tuple)
    #: The file and first line of the Python function (relative to the package's parent).
    file: str = ""
    line: int = 0


REGISTRY: list[TwinDecl] = []


def parse_pin(text: str) -> Pin:
    """Split a pin in either form; ValueError names what is wrong."""
    m = _TREE.match(text)
    if m:
        return Pin(**m.groupdict())
    m = _POSTING.match(text)
    if m:
        d = m.groupdict()
        return Pin("", "", d["path"], d["function"], posting=d["posting"], patch=d["patch"] or "")
    raise ValueError(f"twin pin {text!r}: expected {PIN_FORMS}")


def _where(fn) -> tuple[str, int]:
    code = getattr(fn, "__code__", None)
    if code is None:
        return "", 0
    name = code.co_filename.replace("\\", "/")
    cut = name.rfind("/dmabuf_lab/")
    return (name[cut + 1:] if cut >= 0 else name), code.co_firstlineno


def mirrors(pin: str, *, gap: str | None = None,
            revisions: tuple[str, ...] | list[str] = ()) -> Callable[[F], F]:
    """Declare that the decorated function mirrors the C function ``pin``."""
    parsed = parse_pin(pin)

    def mark(fn: F) -> F:
        file, line = _where(getattr(fn, "__wrapped__", fn))
        decl = TwinDecl(parsed, fn.__module__, fn.__qualname__, gap, tuple(revisions), file, line)
        REGISTRY.append(decl)
        existing = getattr(fn, "__twin_of__", ())
        try:
            fn.__twin_of__ = (*existing, decl)
        except (AttributeError, TypeError):  # a staticmethod/classmethod object
            fn.__func__.__twin_of__ = (*existing, decl)
        return fn

    return mark
