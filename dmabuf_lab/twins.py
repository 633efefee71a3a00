"""Which C function a Python twin mirrors, pinned to the tree it was read in.

A twin declares its C original with ``@mirrors(PIN)``, where PIN is
``"owner/repo@commit:path:function"``, for example::

    @mirrors("torvalds/linux@0b9828c7231e:drivers/dma-buf/dma-buf-mapping.c:dma_buf_phys_vec_to_sgt")
    def dma_buf_phys_vec_to_sgt(...): ...

``gap=`` says, in one line, where the commit read is not the tree the
revision claims (no stored copy at the tag, so the newest copy before it was
read).  ``revisions=`` names the lab revisions the twin serves when one
Python function serves several.  The declarations are collected in
``REGISTRY`` as the modules are imported; ``dmabuf-lab twins`` lists them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable)

_PIN = re.compile(
    r"^(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)@(?P<commit>[0-9a-f]{12,40})"
    r":(?P<path>[A-Za-z0-9_./-]+\.[ch])"
    r":(?P<function>[A-Za-z_][A-Za-z0-9_]*)$")


@dataclass(frozen=True)
class Pin:
    """One C function at one commit of one public tree."""

    repo: str
    commit: str
    path: str
    function: str

    def __str__(self) -> str:
        return f"{self.repo}@{self.commit}:{self.path}:{self.function}"


@dataclass(frozen=True)
class TwinDecl:
    """A Python function and the C function it mirrors."""

    pin: Pin
    module: str
    qualname: str
    gap: str | None = None
    revisions: tuple[str, ...] = field(default_factory=tuple)


REGISTRY: list[TwinDecl] = []


def parse_pin(text: str) -> Pin:
    """Split ``owner/repo@commit:path:function``; ValueError names what is wrong."""
    m = _PIN.match(text)
    if not m:
        raise ValueError(f"twin pin {text!r}: expected owner/repo@commit:path/file.c:function")
    return Pin(**m.groupdict())


def mirrors(pin: str, *, gap: str | None = None,
            revisions: tuple[str, ...] | list[str] = ()) -> Callable[[F], F]:
    """Declare that the decorated function mirrors the C function ``pin``."""
    parsed = parse_pin(pin)

    def mark(fn: F) -> F:
        decl = TwinDecl(parsed, fn.__module__, fn.__qualname__, gap, tuple(revisions))
        REGISTRY.append(decl)
        existing = getattr(fn, "__twin_of__", ())
        fn.__twin_of__ = (*existing, decl)
        return fn

    return mark
