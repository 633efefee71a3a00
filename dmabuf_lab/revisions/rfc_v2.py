"""rfc-v2: interconnects, RFC v2 (Vivek Kasireddy, 2025-10-26) as reshaped in its review.

the RFC v2 1/8 thread (2025-10-26): Vivek's reply (2025-10-27) to Jason
Gunthorpe's review of "[RFC v2 1/8] dma-buf: Add support for map/unmap
APIs for interconnects".  v2 1/8 itself still filled an xarray like v1;
this module models the design the two converge on in that exchange, which
is what ``docs/sources.md`` calls rfc-v2:

* a typed flat container instead of an xarray: ``struct dma_buf_mapping
  {phys, nents, map_data}`` (a ``struct phys_vec`` array, its count and
  per-type data; the other candidate, ``struct dma_buf_ranges {ranges,
  nranges, ranges_data}``, has the same shape and lives beside it in
  :mod:`dmabuf_lab.addr.phys_vec_array`);
* per-interconnect ops: a common part ``struct dma_buf_interconnect_ops
  {name, match_interconnect}`` embedded in a specific table such as
  ``struct dma_buf_iov_interconnect_ops {ic_ops, map}``, which the importer
  reaches with ``container_of`` (:func:`container_of`,
  :func:`dma_buf_iov_map`).  The IOV ``map`` returns its own type (a
  ``dma_buf_mapping`` of BAR physical addresses) plus ``bar_number`` and
  ``nelms`` and has **no unmap**;
* ``supports_interconnects`` on the importer's side
  (``dma_buf_attach_ops``, where Vivek keeps it; Jason's sketch hung it off
  the interconnect ops): if present, ``attach->allow_ic`` starts true and the
  exporter's ``attach`` offers its list to the importer, which calls
  :func:`dma_buf_match_interconnects` (exporter list outer, importer list
  inner, same interconnect pointer, the exporter's ``match_interconnect``
  decides).  No match clears ``allow_ic`` and the importer falls back to
  ``dma_buf_map_attachment()`` — the fallback path is kept;
* typed map only for dynamic importers
  (:func:`dma_buf_attachment_is_dynamic`, -EINVAL for a static one), and
  only with ``allow_ic`` (-EOPNOTSUPP), under the reservation lock.

"No unmap" means the importer owns what ``map`` returned and must free it
itself, with the exporter's allocators: the header was kzalloc'd and the
array kvmalloc'd, so ``dma_buf_mapping_free()`` (kvfree then kfree) is the
only correct release; dropping it leaks, ``kfree`` of the array is a
bad-free (the kernel-runtime model reports each; see the tests).  The
exporter also never learns when the importer is done with the addresses.

Bugs (``Revision.bugs``; the vfio side is RFC v1 patch 4's, unchanged by the
review):

``ic-revoked``
    vfio's attach returns 0 as soon as an interconnect matches, before its
    ``revoked`` test, and its IOV map does not test ``revoked`` either: a
    revoked BAR is attached and its addresses handed out (the lab reports
    ``use-after-revoke``).  Fixed: -ENODEV at attach and at map.

Sources: ``docs/sources.md`` [interconnects-rfc-v2].
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from dmabuf_lab.core.attachment import dma_buf_attachment, dma_buf_attachment_is_dynamic
from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.kmodel import EINVAL, EOPNOTSUPP, ERR_PTR, WARN_ON, dma_resv_assert_held, kstruct, might_sleep
from dmabuf_lab.revisions import rfc_v1
from dmabuf_lab.revisions.base import Oops, Revision

from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as core  # drivers/dma-buf/dma-buf.c
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.rfc_v2 import dma_buf_interconnect, dma_buf_iov_interconnect, dma_buf_interconnect_ops, container_of, dma_buf_iov_interconnect_ops, dma_buf_interconnect_match, CREATE_IOV_INTERCONNECT, dma_buf_attach_ops_v2, dma_buf_attachment_v2, dma_buf_dynamic_attach, dma_buf_attach, dma_buf_detach, dma_buf_map_attachment, dma_buf_unmap_attachment, dma_buf_move_notify, dma_buf_match_interconnects, dma_buf_iov_map  # noqa: F401

REVISION = Revision(
    name="rfc-v2",
    module="rfc_v2",
    title="Interconnects, RFC v2: flat typed container and per-interconnect ops",
    date="2025-10-26",
    source="interconnects-rfc-v2",
    patch="[RFC v2 1/8] dma-buf: Add support for map/unmap APIs for interconnects (Vivek Kasireddy), "
          "with Jason Gunthorpe's per-interconnect ops from its review",
    bugs={
        "ic-revoked": "vfio's interconnect attach and IOV map skip the revoked test (from RFC v1 patch 4)",
    },
)


# ---------------------------------------------------------------------------
# include/linux/dma-buf-interconnect.h
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# drivers/dma-buf/dma-buf.c
# ---------------------------------------------------------------------------


