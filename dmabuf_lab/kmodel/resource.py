"""Who owns which range of the physical address space (kernel/resource.c's iomem tree).

A driver claims a window of MMIO before it touches it
(``request_mem_region()``; for a PCI BAR, ``pci_request_selected_regions()``)
and gives it back when it is done (``release_mem_region()``).  A busy window
cannot be claimed a second time: the request fails and the caller sees
``-EBUSY``.  That ownership is what keeps two drivers from driving the same
registers, and what tells a driver that the window is still its own.

This module keeps one iomem tree per modelled run and checks three general
rules, none of which knows about dma-buf:

* giving back a window nobody claimed: ``warn`` (the kernel prints "Trying
  to free nonexistent resource");
* a device access or a DMA mapping through a window that the driver
  handing it out does not hold (never claimed, claimed by someone else, or
  already given back): ``unowned-resource``;
* giving back a window while mappings of it that someone handed out are
  still live (the next owner's registers stay reachable through them):
  ``unowned-resource``.

A "user" of a window is whatever hands out mappings of it and can say how
many are live right now (:func:`iomem_add_user`); the check at release asks
every user that overlaps the window.

In a concurrent run the tree is shared state: claiming or giving back a
window is an announced write of the tree, and looking up a window's owner
an announced read of it (an access that is already one indivisible action,
such as a DMA, names the tree in its own announcement:
:func:`iomem_touch`).  Asking a user for its count is an announced read of
the object that guards the count.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from .runtime import Kernel, current_kernel, report
from .sched import sched_point, shared_access


@dataclass(eq=False)
class resource:
    """One claimed window ``[start, end]`` (inclusive, as ``struct resource``)."""

    start: int
    end: int
    name: str
    owner: Any = None

    def covers(self, start: int, n: int) -> bool:
        return self.start <= start and start + n - 1 <= self.end

    def overlaps(self, start: int, n: int) -> bool:
        return not (start + n - 1 < self.start or start > self.end)

    def __str__(self) -> str:
        return f"[mem {self.start:#x}-{self.end:#x}] {self.name}"


@dataclass(eq=False)
class iomem_user:
    """Someone that hands out mappings of ``[start, start+n)``; ``live()`` counts them."""

    start: int
    n: int
    who: str
    live: Callable[[], int]
    #: the object whose lock guards the count (a concurrent run orders the check against it)
    key: Any = None


@dataclass
class iomem_tree:
    """The run's claimed windows and the users that map them."""

    busy: list = field(default_factory=list)
    users: list = field(default_factory=list)


def iomem_of(kernel: Optional[Kernel] = None) -> iomem_tree:
    """The iomem tree of ``kernel`` (default: the current run), created empty."""
    k = kernel if kernel is not None else current_kernel()
    return k.per_run("iomem", iomem_tree)


def _describe(owner) -> str:
    if owner is None:
        return "nobody"
    return str(getattr(owner, "bdf", None) or getattr(owner, "name", None) or owner)


def request_mem_region(start: int, n: int, name: str, owner=None) -> Optional[resource]:
    """Claim ``[start, start+n)`` for ``owner``; None when any byte of it is already busy."""
    tree = iomem_of()
    if n <= 0:
        return None
    sched_point("write", tree, True, f"request_mem_region([mem {start:#x}-{start + n - 1:#x}] {name})")
    if any(r.overlaps(start, n) for r in tree.busy):
        return None
    res = resource(start, start + n - 1, name, owner)
    tree.busy.append(res)
    return res


def release_mem_region(start: int, n: int) -> None:
    """Give back the window claimed as exactly ``[start, start+n)``.

    Nobody claimed it: ``warn``.  Mappings of it still live: ``unowned-resource``
    (the window is free for the next claimant while they still reach it).
    """
    tree = iomem_of()
    for i, res in enumerate(tree.busy):
        if res.start == start and res.end == start + n - 1:
            sched_point("write", tree, True, f"release_mem_region({res})")
            del tree.busy[i]
            for u in tree.users:
                if res.overlaps(u.start, u.n):
                    if u.key is not None:
                        sched_point("read", u.key, False, f"count the live mappings of {u.who}")
                    live = u.live()
                    if live:
                        report("unowned-resource",
                               f"{res} given back while {u.who} still holds {live} live "
                               f"mapping(s) of it: the window can be claimed by another driver "
                               f"and the mappings still reach it")
            return
    report("warn", f"Trying to free nonexistent resource [mem {start:#x}-{start + n - 1:#x}]")


def iomem_owner(start: int, n: int):
    """The owner of the claimed window that covers all of ``[start, start+n)``, or None."""
    tree = iomem_of()
    shared_access(tree, "busy", False)
    for res in tree.busy:
        if res.covers(start, n):
            return res
    return None


def iomem_check_owned(start: int, n: int, owner, what: str) -> bool:
    """``what`` (a mapping or an access) goes through ``[start, start+n)`` on behalf
    of ``owner``: report ``unowned-resource`` unless ``owner`` holds a claimed window
    covering it.  Returns whether it does."""
    res = iomem_owner(start, n)
    if res is not None and res.owner is owner:
        return True
    if res is None:
        held = "claimed by nobody"
    else:
        held = f"held by {_describe(res.owner)}" + (f" ({res.name})" if res.name != _describe(res.owner) else "")
    report("unowned-resource",
           f"{what} reaches [mem {start:#x}-{start + n - 1:#x}], which {_describe(owner)} "
           f"does not own: the window is {held}")
    return False


def iomem_add_user(start: int, n: int, who: str, live: Callable[[], int], key=None) -> iomem_user:
    """Register ``who`` as handing out mappings of ``[start, start+n)``; ``key`` is the
    object whose lock guards its count (in a concurrent run the check at release is
    an announced read of it, so it is ordered against the mappers)."""
    u = iomem_user(start, n, who, live, key)
    tree = iomem_of()
    sched_point("write", tree, True, f"iomem_add_user({who})")
    tree.users.append(u)
    return u


def iomem_del_user(u: iomem_user) -> None:
    """Forget a user (its mappings are gone for good)."""
    tree = iomem_of()
    sched_point("write", tree, True, f"iomem_del_user({u.who})")
    users = tree.users
    for i, x in enumerate(users):
        if x is u:
            del users[i]
            return


def iomem_touch() -> tuple:
    """``(tree, False)``: what an indivisible action that checks window ownership
    (a DMA through a window) adds to its announcement (``also=``), so that it is
    ordered against claims and releases."""
    return (iomem_of(), False)


__all__ = ["resource", "iomem_tree", "iomem_of", "iomem_touch", "request_mem_region", "release_mem_region",
           "iomem_owner", "iomem_check_owned", "iomem_add_user", "iomem_del_user"]
