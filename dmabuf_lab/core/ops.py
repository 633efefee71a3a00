"""The two operation tables of dma-buf (include/linux/dma-buf.h).

``dma_buf_ops`` is filled in by the exporter, ``dma_buf_attach_ops`` by a
dynamic importer.  Both are dataclasses whose callbacks default to ``None``,
like a C ops table where unset members are NULL.  Tables are compared by
identity (``eq=False``), because drivers test ``dmabuf->ops == &their_ops``.

Later revisions extend these tables by subclassing them and adding optional
callbacks (for example an interconnect or mapping-type table); the core only
calls the members it knows.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

Callback = Optional[Callable[..., Any]]


@dataclass(eq=False)
class dma_buf_ops:
    """Exporter callbacks.

    ``map_dma_buf``, ``unmap_dma_buf`` and ``release`` are mandatory
    (dma_buf_export() refuses a table without them); ``pin`` and ``unpin``
    come as a pair.  ``map_dma_buf``/``unmap_dma_buf``/``pin``/``unpin`` run
    with the reservation lock held; ``attach``/``detach``/``release`` without.
    """

    attach: Callback = None           # int (*)(dma_buf, attachment)
    detach: Callback = None           # void (*)(dma_buf, attachment)
    pin: Callback = None              # int (*)(attachment)
    unpin: Callback = None            # void (*)(attachment)
    map_dma_buf: Callback = None      # sg_table | ERR_PTR (*)(attachment, dir)
    unmap_dma_buf: Callback = None    # void (*)(attachment, sg_table, dir)
    release: Callback = None          # void (*)(dma_buf)
    begin_cpu_access: Callback = None
    end_cpu_access: Callback = None
    mmap: Callback = None
    vmap: Callback = None
    vunmap: Callback = None
    name: str = ""                    # lab label for reports; not in the C struct


@dataclass(eq=False)
class dma_buf_attach_ops:
    """Importer callbacks of a dynamic attachment.

    ``allow_peer2peer`` says the importer can take DMA addresses that point
    at another device's MMIO (it never touches struct pages); ``move_notify``
    (Linux 6.19, mandatory) is called with the reservation lock held whenever
    the exporter moves or revokes the buffer.  Leon Romanovsky's revoke
    series renamed it ``invalidate_mappings`` (ef246da8e63c, Linux 7.1) and
    made it optional; a table carries the member its kernel version knows.
    """

    allow_peer2peer: bool = False
    move_notify: Callback = None      # void (*)(attachment), up to 7.0
    invalidate_mappings: Callback = None   # void (*)(attachment), 7.1 and later
    name: str = ""                    # lab label for reports; not in the C struct


@dataclass(eq=False)
class dma_buf_export_info:
    """Arguments of dma_buf_export() (DEFINE_DMA_BUF_EXPORT_INFO)."""

    ops: Optional[dma_buf_ops] = None
    priv: Any = None
    size: int = 0
    flags: int = 0
    resv: Any = None                  # None: the dma_buf embeds its own dma_resv
    exp_name: str = "dmabuf_lab"
    owner: Any = None
