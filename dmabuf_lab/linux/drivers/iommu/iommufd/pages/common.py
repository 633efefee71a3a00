"""The structs of drivers/iommu/iommufd/pages.c and io_pagetable.h the
dma-buf import path uses, shared by every release.

``iopt_pages`` keeps io_pagetable.h's union as one slot: ``uptr`` for
user memory, ``dmabuf`` for a dma-buf.  Reading ``uptr`` of dma-buf
pages gives what the union's first word holds there, the attachment
pointer: a kernel address, never a user one.
"""
from __future__ import annotations

from dmabuf_lab.addr import phys_vec
from dmabuf_lab.kmodel.alloc import kstruct
from dmabuf_lab.kmodel.mutex import mutex, mutex_lockdep_assert_held
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.iommu.iommufd.io_pagetable_h.common import iopt_is_dmabuf, iopt_dmabuf_revoked, IOPT_ADDRESS_DMABUF, _ALL, _HDR, _HDR_GAP  # noqa: F401

IOPT_ADDRESS_USER = 0
IOPT_ADDRESS_FILE = 1

IOPT_PAGES_ACCOUNT_NONE = 0
IOPT_PAGES_ACCOUNT_USER = 1

IOMMUFD_ACCESS_RW_WRITE = 1 << 1
PAGE_SIZE = 4096
#: the largest u32 a pfn_batch entry counts
MAX_NPFNS = (1 << 32) - 1
FOLL_WRITE = 0x01
FOLL_LONGTERM = 0x100
#: the lock_class_key iopt_alloc_dmabuf_pages() gives the dma-buf pages mutex
PAGES_DMABUF_MUTEX_KEY = "pages_dmabuf_mutex_key"


class iopt_pages_dmabuf(kstruct):
    """The dma-buf member of the union: attachment, the range vfio gave, start offset, tracked domains."""
    fields = ("attach", ("phys", phys_vec), ("start", 0), ("tracker", list))


class iopt_pages(kstruct):
    """A linear array of PFNs shared by areas; ``kref`` counts its areas and users."""
    fields = (("kref", 0), ("mutex", mutex), ("npages", 0), ("npinned", 0), ("last_npinned", 0),
              "source_mm", ("type", IOPT_ADDRESS_USER), "uptr", ("dmabuf", iopt_pages_dmabuf),
              ("writable", False), ("account_mode", IOPT_PAGES_ACCOUNT_NONE),
              ("access_itree", list), ("domains_itree", list))


class iopt_pages_dmabuf_track(kstruct):
    """One (domain, area) pair iopt_revoke_notify() must unmap."""
    fields = ("domain", "area")


class iopt_pages_access(kstruct):
    """An in-kernel access's interval of the pages, with its users."""
    fields = (("start", 0), ("last", 0), ("users", 0))


class iommu_domain:
    """An IOMMU page table: what is mapped in it, IOVA -> (paddr, length)."""

    def __init__(self, name: str = "domain"):
        self.name = name
        self.mapped: dict = {}

    def __repr__(self):
        return f"iommu_domain({self.name!r})"


class io_pagetable:
    """The IOAS's page table: its domains (``domains`` is an xarray in the C)."""

    def __init__(self, domains=()):
        self.domains = list(domains)


class iopt_area:
    """An IOVA range of an io_pagetable backed by a slice of pages."""

    def __init__(self, iopt: io_pagetable, pages, iova: int = 0x100000, index: int = 0, last_index: int = 0):
        self.iopt = iopt
        self.pages = pages
        self.iova = iova
        self.index = index
        self.last_index = last_index
        self.storage_domain = None
        self.num_accesses = 0
        self.num_locks = 0


class iommufd_ctx:
    """The iommufd file's context; ``symbols`` stands for the module symbols symbol_get() resolves."""

    def __init__(self, symbols: dict | None = None, device=None):
        self.symbols = dict(symbols or {})
        self.device = device


def _union_uptr(pages):
    """The union read as ``uptr``: the user pointer, or for dma-buf pages what its first
    word holds there, the attachment pointer."""
    return pages.dmabuf.attach if pages.type == IOPT_ADDRESS_DMABUF else pages.uptr


