"""What an importer does with the addresses it holds, and the checks on it.

``dma_access()`` is the device's DMA through a mapping (a GPU job, a NIC
transfer, IOMMU-translated DMA): a read of the exporter's memory that another
thread may race with.  The exporter publishes in ``session.shared``:

* ``dma_target``: the object whose state decides whether the memory is
  still there (vfio: the device, whose PCI_COMMAND_MEMORY bit the revoke
  turns off; xe: the BO, whose placement a move changes);
* ``dma_gone(token)``: a reason string when memory the importer mapped at
  ``token`` is no longer the exporter's to give (None while it is);
* ``dma_token()``: what an importer records when it maps;
* ``buffer_revoked()``: whether the exporter has revoked the buffer;
* ``dma_window()``: the ``(start, length, owner)`` windows the buffer lies
  in; each DMA must go through a window its owner still holds (the iomem
  checker of :mod:`dmabuf_lab.kmodel.resource` reports it otherwise).

Breaches are collected in ``session.shared["observations"]`` as
``(property, message, function)`` for the race explorer: ``use-after-revoke``
(DMA after the exporter's revoke or move completed) and ``map-after-revoke``
(a mapping handed out for a revoked buffer).
"""
from __future__ import annotations

from dmabuf_lab.kmodel.resource import iomem_check_owned, iomem_touch
from dmabuf_lab.kmodel.runtime import call_site
from dmabuf_lab.kmodel.sched import current_scheduler, sched_point, unannounced


def observe(session, prop: str, message: str) -> None:
    """Record one property breach of this run."""
    func = call_site(2).rsplit(" ", 1)[-1]
    session.shared.setdefault("observations", []).append((prop, message, func))


def dma_token(session):
    """What to remember with a new mapping (see the module docstring)."""
    f = session.shared.get("dma_token")
    return f() if f is not None else None


def mapping_returned(session, what: str) -> None:
    """Called right after the exporter handed out a mapping, the reservation lock still held."""
    revoked = session.shared.get("buffer_revoked")
    with unannounced():                     # the lab's check, not a kernel access
        gone = revoked is not None and revoked()
    if gone:
        observe(session, "map-after-revoke", f"{what} returned a mapping of a revoked buffer")


def dma_access(session, token, who: str) -> None:
    """The importer's device reads/writes the buffer through a mapping made at ``token``."""
    target = session.shared.get("dma_target")
    window = session.shared.get("dma_window")
    s = current_scheduler()
    if s is not None and target is not None:
        # one indivisible action: it meets the target's state and, going through the
        # exporter's windows, the iomem tree's ownership of them at the same instant
        also = [iomem_touch()] if window is not None else []
        sched_point("read", target, False, f"{who}: DMA to {s.name_of(s.key(target))}", also=also)
    gone = session.shared.get("dma_gone")
    with unannounced():                     # the state the DMA met at the point above
        reason = gone(token) if gone is not None else None
        for start, n, owner in (window() if window is not None else ()):
            iomem_check_owned(start, n, owner, f"{who}: DMA")
    if reason:
        observe(session, "use-after-revoke", f"{who}: DMA after {reason}")
