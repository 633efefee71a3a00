"""offer-list: Thomas Hellström's interconnect offer list (2025-09-26).

Models the proposal quoted in Thomas Hellström's offer-list mail (2025-09-26) (Jason
Gunthorpe's reply to Thomas Hellström, "dma-buf: interconnect negotiation"
thread, linux-media/dri-devel, 2025-09-26).  Nothing of it was merged; the
identifiers are the ones sketched in the mail:

* ``struct dma_buf_interconnect`` — one per kind of interconnect, compared by
  address.  Some are global (``dmabuf_generic_dma_addr_t``), some belong to
  one piece of hardware (``myself->xe_vram``: "VRAM offset within this
  specific VRAM memory").
* ``struct dma_buf_interconnect_negotiation {interconnect, interconnect_args}``
  — one entry of the importer's *offer*, most preferred first.
* ``dma_buf_negotiate(dmabuf, offer, n)`` — the exporter runs down the offer
  and returns the index of the first entry it accepts, so the importer's
  preference wins; -EOPNOTSUPP when none is acceptable.  An exporter without
  interconnect support gets the core fallback: the index of the generic
  ``dma_addr_t`` entry if the importer offered it.
* ``dma_buf_attach_interconnect(dmabuf, offer[idx], importer_ops)`` — attach
  with the chosen entry; the exporter acknowledges by setting
  ``attach->interconnect_attach`` and hands type-specific ops that the
  importer recovers with ``container_of`` (here: :func:`container_of`
  checks the ops' class) and calls ``->map(attach)`` / ``->unmap()``.
* For the generic ``dma_addr_t`` interconnect with an exporter that knows
  nothing about interconnects, the core wraps ``dma_buf_dynamic_attach()`` /
  ``dma_buf_map_attachment()`` transparently.

Static importers that never negotiate keep using mainline's
``dma_buf_attach()``; that path is unchanged by the proposal.

The only bug carried is inherited: vfio's generic ``dma_addr_t`` path still
uses 6.19's ``dma_buf_phys_vec_to_sgt()`` (``sgt-helper``, see mainline).

Sources: ``docs/sources.md`` [offer-list].
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from dmabuf_lab.core.attachment import dma_buf_attachment
from dmabuf_lab.core.ops import dma_buf_attach_ops, dma_buf_ops
from dmabuf_lab.kmodel import (EINVAL, ENOMEM, EOPNOTSUPP, ERR_PTR, IS_ERR, WARN_ON,
                               dma_resv_assert_held, dma_resv_lock, dma_resv_unlock, kfree, kzalloc)
from dmabuf_lab.revisions.base import Revision

#: drivers/dma-buf/dma-buf.c as merged (the module, not the struct the package exports)
from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as core
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.offer_list import dma_buf_interconnect, dma_buf_interconnect_negotiation, dma_buf_interconnect_attach_ops, dma_buf_interconnect_map_ops, dma_buf_ops_ic, dma_buf_attachment_ic, dmabuf_generic_dma_addr_t, dmabuf_phys_addr_t, dmabuf_pci_bar_slice, container_of, dma_buf_negotiate_first, dma_buf_negotiate, _generic_map, _generic_unmap, dma_buf_generic_dma_addr_ops, dma_buf_attach_interconnect, dma_buf_detach_interconnect, dma_buf_interconnect_map, dma_buf_interconnect_unmap, dma_buf_move_notify  # noqa: F401

REVISION = Revision(
    name="offer-list",
    module="offer_list",
    title="Interconnect offer list and dma_buf_negotiate()",
    date="2025-09-26",
    source="offer-list",
    patch="Thomas Hellström's proposal in the 2025-09-26 interconnect thread (no patch posted)",
    bugs={
        "sgt-helper": "inherited 6.19 dma_buf_phys_vec_to_sgt()/dma_buf_free_sgt() leak (vfio's dma_addr_t path)",
    },
)


# --- the core's generic fallback over dynamic attach + map_attachment ----------


