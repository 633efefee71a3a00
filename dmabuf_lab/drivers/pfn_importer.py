"""Importers that build their own tables from ``get_pfn`` (revision get-pfn, get-pfn).

Two shapes, both walking the buffer one page at a time through
``dma_buf_get_pfn_unlocked()`` (see :func:`dmabuf_lab.revisions.get_pfn.walk_pfns`):

* :class:`PfnTableImporter` — the RFC's "subsystem importers" (KVM to guest
  physical, iommufd to a user IOVA).  Dynamic attach with *no* device
  (they never map an sg_table), ``allow_peer2peer`` and a ``move_notify``
  that zaps their table.  They hold ``pfn``.
* :class:`PfnDmaImporter` — a device importer under the importer-maps mode
  (RDMA, the xe PF, a peer GPU): it maps the PFNs with the DMA API itself.
  It needs the whole list to size its hardware page table before filling
  it, and the API hands out one page per call, so it walks the buffer
  twice: once to count the runs, once to map them (``walks`` and the trace
  record this).  A PFN of system RAM maps with ``dma_map_phys()``; an MMIO
  PFN has no struct page, hence no pgmap and no p2pdma provider to choose
  a P2P mapping from, so it is refused (-EOPNOTSUPP).  It holds ``dma-addr``.

The sg_table importers of this revision are :class:`GetPfnSgtImporter`;
:func:`make_device_importer` picks between it and :class:`PfnDmaImporter`
for the device importers.
"""
from __future__ import annotations

from dmabuf_lab.core.dma_mapping import DMA_BIDIRECTIONAL, DMA_MAPPING_ERROR, dma_map_phys, dma_unmap_phys
from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.drivers.common import check_ptr, check_ret, importer_dev
from dmabuf_lab.drivers.sgt_importer import SgtImporter
from dmabuf_lab.kmodel import ENOMEM, EOPNOTSUPP, KernelError, errname
from dmabuf_lab.revisions import get_pfn as gp
from dmabuf_lab.revisions.base import ImporterDriver


class GetPfnSgtImporter(SgtImporter):
    """A device importer that keeps dma_buf_map_attachment() under the RFC."""

    core = gp

    def __init__(self, session, name=None):
        if name is not None:
            self.name = name
        super().__init__(session)


class PfnTableImporter(ImporterDriver):
    """A subsystem importer: attaches without a device, fills its table from get_pfn."""

    name = "pfn importer"

    def __init__(self, session):
        super().__init__(session)
        self.dmabuf = None
        self.attachment = None
        self.runs: list = []
        self.zapped = 0

    def move_notify(self, attach) -> None:
        """The exporter moved or revoked (resv held): zap the table; it refaults later."""
        self.s.log(f"{self.name}: move_notify, table zapped")
        self.zapped += 1
        self.runs = []
        self.mapped = False

    def attach_ops(self) -> dma_buf_attach_ops:
        return dma_buf_attach_ops(allow_peer2peer=True, move_notify=self.move_notify,
                                  name=f"{self.name} attach ops")

    def attach(self, dmabuf) -> None:
        self.dmabuf = dmabuf
        att = gp.dma_buf_dynamic_attach(dmabuf, None, self.attach_ops(), self)
        self.attachment = check_ptr(att, f"{self.name}: dma_buf_dynamic_attach(dev=NULL)")
        self.attached = True
        self.kind = "pfn"

    def get_error(self, ret: int) -> int:
        """How the importer reports a get_pfn failure to its caller."""
        return ret

    def map(self) -> None:
        ret, runs = gp.walk_pfns(self.attachment)
        if ret:
            out = self.get_error(ret)
            raise KernelError(out, f"{self.name}: get_pfn failed with {errname(ret)}")
        self.runs = runs
        pages = sum(n for _, n in runs) >> 12
        nopage = sum(1 for a, _ in runs if not gp.pfn_has_struct_page(self.s.topology, a >> 12))
        self.s.log(f"{self.name}: {pages} page(s) in {len(runs)} run(s), "
                   f"{nopage} run(s) without struct page")
        self.mapped = True

    def unmap(self) -> None:
        self.runs = []
        self.mapped = False

    def detach(self) -> None:
        if self.attached:
            gp.dma_buf_detach(self.dmabuf, self.attachment)
            self.attached = False


class PfnDmaImporter(ImporterDriver):
    """A device importer that maps the exporter's PFNs itself (importer-maps mode)."""

    name = "pfn dma importer"

    def __init__(self, session, name=None):
        if name is not None:
            self.name = name
        super().__init__(session)
        self.dev = importer_dev(session, self.name)
        self.dmabuf = None
        self.attachment = None
        self.table = None
        self.walks = 0

    def move_notify(self, attach) -> None:
        self.s.log(f"{self.name}: move_notify")
        if self.mapped:
            self.unmap()

    def attach(self, dmabuf) -> None:
        self.dmabuf = dmabuf
        ops = dma_buf_attach_ops(allow_peer2peer=True, move_notify=self.move_notify,
                                 name=f"{self.name} attach ops")
        self.attachment = check_ptr(gp.dma_buf_dynamic_attach(dmabuf, self.dev, ops, self),
                                    f"{self.name}: attach")
        self.attached = True
        self.kind = "dma-addr"

    def map(self) -> None:
        # Walk 1: size the hardware page table.
        ret, runs = gp.walk_pfns(self.attachment)
        self.walks += 1
        check_ret(ret, f"{self.name}: get_pfn (sizing walk)")
        nents = len(runs)
        self.s.log(f"{self.name}: walk {self.walks} sized the table: {nents} entries")
        # Walk 2: fill it.
        ret, runs = gp.walk_pfns(self.attachment)
        self.walks += 1
        check_ret(ret, f"{self.name}: get_pfn (filling walk)")
        self.s.log(f"{self.name}: walk {self.walks} filled the table")
        self.s.shared[f"{self.name}_walks"] = self.walks
        table = []
        for phys, ln in runs:
            if not gp.pfn_has_struct_page(self.s.topology, phys >> 12):
                self._unmap_table(table)
                raise KernelError(-EOPNOTSUPP, f"{self.name}: PFN {phys >> 12:#x} is MMIO without struct "
                                               "page: no pgmap, no p2pdma provider to map it with")
            addr = dma_map_phys(self.dev, phys, ln, DMA_BIDIRECTIONAL)
            if addr == DMA_MAPPING_ERROR:
                self._unmap_table(table)
                raise KernelError(-ENOMEM, f"{self.name}: dma_map_phys failed")
            table.append((addr, ln))
        self.table = table
        self.mapped = True

    def _unmap_table(self, table) -> None:
        for addr, ln in table:
            dma_unmap_phys(self.dev, addr, ln, DMA_BIDIRECTIONAL)

    def unmap(self) -> None:
        if self.table is not None:
            self._unmap_table(self.table)
        self.table = None
        self.mapped = False

    def detach(self) -> None:
        if self.attached:
            gp.dma_buf_detach(self.dmabuf, self.attachment)
            self.attached = False


def make_device_importer(session, name: str) -> ImporterDriver:
    """The device importer ``name`` (RDMA, the xe PF, a peer GPU) under get-pfn.

    importer-maps: it maps the exporter's PFNs itself (:class:`PfnDmaImporter`);
    posted and exporter-maps: the unchanged dynamic sg_table path
    (:class:`GetPfnSgtImporter`).
    """
    if gp.importer_maps():
        return PfnDmaImporter(session, name)
    return GetPfnSgtImporter(session, name)
