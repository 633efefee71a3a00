"""drivers/iommu/iommufd/pages.c as in 6.19: iopt_pages backed by a dma-buf.

Read at intel-lab-lkp/linux 11cb9405ff85, an LKP tree of the 6.19 era.
The import (``iopt_alloc_dmabuf_pages``) attaches dynamically with
``move_notify = iopt_revoke_notify`` and, under the reservation lock,
asks vfio's private bridge for the single physical range; it does not pin.
The pages mutex gets a lockdep class of its own because the reservation
lock orders before it.  Release destroys the pages content (the mutex
included) before ``dma_buf_detach()``: an exporter's revoke that runs in
between takes a destroyed mutex (fixed in 7.2 by f2d70dbd3dce).  The
access pin path (``iopt_area_add_access``) has no test for dma-buf pages:
it reads the union as a user pointer and goes to GUP with the pages mutex
held (fixed in 7.2 by 5f3fc0ad9a41).
"""
from __future__ import annotations

from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as core
from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.kmodel import (EFAULT, EINVAL, ENOMEM, EOPNOTSUPP, EPERM, ERR_PTR, IS_ERR, PTR_ERR, WARN_ON,
                               dma_resv_lock, dma_resv_unlock, kfree, kmalloc_array, kzalloc)
from dmabuf_lab.kmodel.lockdep import lockdep_set_class
from dmabuf_lab.kmodel.mm import current_mm, mmap_read_lock, mmdrop, mmgrab
from dmabuf_lab.kmodel.mutex import mutex_destroy, mutex_lock, mutex_unlock
from dmabuf_lab.linux.drivers.iommu.iommufd.pages.common import (
    FOLL_LONGTERM, FOLL_WRITE, IOMMUFD_ACCESS_RW_WRITE, IOPT_ADDRESS_DMABUF, IOPT_PAGES_ACCOUNT_NONE,
    MAX_NPFNS, PAGE_SIZE, PAGES_DMABUF_MUTEX_KEY, _union_uptr, iopt_dmabuf_revoked, iopt_is_dmabuf, iopt_pages,
    iopt_pages_access, iopt_pages_dmabuf_track)
from dmabuf_lab.linux.mm.gup.mainline_6_19 import pin_user_pages_fast, pin_user_pages_remote
from dmabuf_lab.twins import mirrors

PAGES_C = "intel-lab-lkp/linux@11cb9405ff85:drivers/iommu/iommufd/pages.c"
GAP = "an LKP tree of the 6.19 era, not the v6.19 tag"
ALL = ("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6")
UNTIL_7_1 = ("mainline-6.19", "mainline-7.1")
MOVE_NOTIFY_MEMBER = "move_notify"


@mirrors(f"{PAGES_C}:iopt_alloc_pages", gap=GAP, revisions=ALL)
def iopt_alloc_pages(start_byte: int, length: int, writable: bool):
    """A zeroed iopt_pages with one reference, its mutex, and the caller's mm grabbed."""
    if length > (1 << 64) - 1 - PAGE_SIZE or length == 0:
        return ERR_PTR(-EINVAL)
    pages = kzalloc(iopt_pages)
    if pages is None:
        return ERR_PTR(-ENOMEM)
    pages.kref = 1
    pages.mutex.name = "&pages->mutex"
    pages.source_mm = current_mm()
    mmgrab(pages.source_mm)
    pages.npages = -(-(length + start_byte) // PAGE_SIZE)
    pages.writable = writable
    return pages


@mirrors(f"{PAGES_C}:iopt_revoke_notify", gap=GAP, revisions=ALL)
def iopt_revoke_notify(attach) -> None:
    """The exporter revokes (resv held): under the pages mutex unmap every tracked
    (area, domain) and mark the pages revoked with phys.len = 0."""
    pages = attach.importer_priv
    mutex_lock(pages.mutex)
    try:
        if iopt_dmabuf_revoked(pages):
            return
        for track in pages.dmabuf.tracker:
            track.domain.mapped.pop(track.area.iova, None)
        pages.dmabuf.phys.len = 0
    finally:
        mutex_unlock(pages.mutex)


def _attach_ops(member: str):
    return dma_buf_attach_ops(allow_peer2peer=True, name="iopt_dmabuf_attach_revoke_ops",
                              **{member: iopt_revoke_notify})


@mirrors(f"{PAGES_C}:sym_vfio_pci_dma_buf_iommufd_map", gap=GAP, revisions=ALL)
def sym_vfio_pci_dma_buf_iommufd_map(ictx, attachment, phys) -> int:
    """symbol_get() of vfio's bridge: -EOPNOTSUPP when vfio's dma-buf support is absent."""
    fn = ictx.symbols.get("vfio_pci_dma_buf_iommufd_map")
    if fn is None:
        return -EOPNOTSUPP
    return fn(attachment, phys)


@mirrors(f"{PAGES_C}:iopt_map_dmabuf", gap=GAP, revisions=("mainline-6.19",))
def iopt_map_dmabuf(ictx, pages, dmabuf) -> int:
    """Attach with the revoke callback; under resv (the pages mutex taken once
    inside it for lockdep) get the range from vfio; on failure unlock and detach."""
    attach = core.dma_buf_dynamic_attach(dmabuf, ictx.device, _attach_ops(MOVE_NOTIFY_MEMBER), pages)
    if IS_ERR(attach):
        return PTR_ERR(attach)
    dma_resv_lock(dmabuf.resv)
    mutex_lock(pages.mutex)            # CONFIG_LOCKDEP: teach the resv -> pages mutex order
    mutex_unlock(pages.mutex)
    rc = sym_vfio_pci_dma_buf_iommufd_map(ictx, attach, pages.dmabuf.phys)
    if rc:
        dma_resv_unlock(dmabuf.resv)
        core.dma_buf_detach(dmabuf, attach)
        return rc
    dma_resv_unlock(dmabuf.resv)
    pages.dmabuf.attach = attach
    return 0


def _alloc_dmabuf_pages(ictx, dmabuf, start_byte, start, length, writable, map_dmabuf, put_pages):
    if dmabuf.size <= start + length - 1 or length // PAGE_SIZE >= MAX_NPFNS:
        return ERR_PTR(-EINVAL)
    pages = iopt_alloc_pages(start_byte, length, writable)
    if IS_ERR(pages):
        return pages
    lockdep_set_class(pages.mutex, PAGES_DMABUF_MUTEX_KEY)
    pages.account_mode = IOPT_PAGES_ACCOUNT_NONE
    pages.type = IOPT_ADDRESS_DMABUF
    pages.dmabuf.start = start - start_byte
    rc = map_dmabuf(ictx, pages, dmabuf)
    if rc:
        put_pages(pages)
        return ERR_PTR(rc)
    return pages


@mirrors(f"{PAGES_C}:iopt_alloc_dmabuf_pages", gap=GAP, revisions=("mainline-6.19",))
def iopt_alloc_dmabuf_pages(ictx, dmabuf, start_byte: int, start: int, length: int, writable: bool):
    """Check the slice, allocate the pages, split the mutex's lockdep class, map the dma-buf."""
    return _alloc_dmabuf_pages(ictx, dmabuf, start_byte, start, length, writable, iopt_map_dmabuf,
                               iopt_put_pages)


@mirrors(f"{PAGES_C}:iopt_release_pages", gap=GAP, revisions=("mainline-6.19",))
def iopt_release_pages(pages) -> None:
    """The last reference: WARN on what is still in use, destroy the content
    (mm, mutex), then detach from the dma-buf and drop its reference, then free."""
    WARN_ON(bool(pages.access_itree), "iopt_release_pages: access_itree not empty")
    WARN_ON(bool(pages.domains_itree), "iopt_release_pages: domains_itree not empty")
    WARN_ON(pages.npinned != 0, "iopt_release_pages: pages still pinned")
    mmdrop(pages.source_mm)
    mutex_destroy(pages.mutex)
    if iopt_is_dmabuf(pages) and pages.dmabuf.attach is not None:
        dmabuf = pages.dmabuf.attach.dmabuf
        core.dma_buf_detach(dmabuf, pages.dmabuf.attach)
        core.dma_buf_put(dmabuf)
        WARN_ON(bool(pages.dmabuf.tracker), "iopt_release_pages: dma-buf tracker not empty")
    kfree(pages)


@mirrors(f"{PAGES_C}:iopt_release_pages", gap="io_pagetable.h's kref_put() wrapper; " + GAP,
         revisions=("mainline-6.19",))
def iopt_put_pages(pages) -> None:
    """kref_put(): the last reference runs this release's iopt_release_pages()."""
    pages.kref -= 1
    if pages.kref == 0:
        iopt_release_pages(pages)


@mirrors(f"{PAGES_C}:iopt_dmabuf_track_all_domains", gap=GAP, revisions=ALL)
def iopt_dmabuf_track_all_domains(area, pages) -> int:
    """One tracker entry per domain of the area's io_pagetable (pages mutex held)."""
    for track in pages.dmabuf.tracker:
        if WARN_ON(track.area is area, "iopt_dmabuf_track_all_domains: area already tracked"):
            return -EINVAL
    for domain in area.iopt.domains:
        track = kzalloc(iopt_pages_dmabuf_track)
        if track is None:
            iopt_dmabuf_untrack_all_domains(area, pages)
            return -ENOMEM
        track.domain, track.area = domain, area
        pages.dmabuf.tracker.append(track)
    return 0


@mirrors(f"{PAGES_C}:iopt_dmabuf_untrack_all_domains", gap=GAP, revisions=ALL)
def iopt_dmabuf_untrack_all_domains(area, pages) -> None:
    """Drop and free the area's tracker entries."""
    for track in list(pages.dmabuf.tracker):
        if track.area is area:
            pages.dmabuf.tracker.remove(track)
            kfree(track)


@mirrors(f"{PAGES_C}:iopt_area_fill_domains", gap=GAP, revisions=ALL)
def iopt_area_fill_domains(area, pages) -> int:
    """Under the pages mutex: track the domains, map the range into each unless
    revoked, and put the area on the domains tree."""
    if not area.iopt.domains:
        return 0
    mutex_lock(pages.mutex)
    try:
        if iopt_is_dmabuf(pages):
            rc = iopt_dmabuf_track_all_domains(area, pages)
            if rc:
                return rc
        if not iopt_dmabuf_revoked(pages):
            phys = pages.dmabuf.phys
            for domain in area.iopt.domains:
                domain.mapped[area.iova] = (phys.paddr + pages.dmabuf.start, phys.len)
        area.storage_domain = area.iopt.domains[0]
        pages.domains_itree.append(area)
        return 0
    finally:
        mutex_unlock(pages.mutex)


@mirrors(f"{PAGES_C}:iopt_area_unfill_domains", gap=GAP, revisions=ALL)
def iopt_area_unfill_domains(area, pages) -> None:
    """Under the pages mutex: unmap from every domain unless revoked, take the
    area off the domains tree and drop its tracker entries."""
    mutex_lock(pages.mutex)
    try:
        if area.storage_domain is None:
            return
        for domain in area.iopt.domains:
            if not iopt_dmabuf_revoked(pages):
                domain.mapped.pop(area.iova, None)
        if area in pages.domains_itree:
            pages.domains_itree.remove(area)
        if iopt_is_dmabuf(pages):
            iopt_dmabuf_untrack_all_domains(area, pages)
        area.storage_domain = None
    finally:
        mutex_unlock(pages.mutex)


@mirrors(f"{PAGES_C}:pfn_reader_user_pin", gap=GAP, revisions=UNTIL_7_1)
def pfn_reader_user_pin(user: dict, pages, start_index: int, last_index: int) -> int:
    """GUP for a hole: a temporary page array, then pin_user_pages_fast() at
    the union read as ``uptr`` (or, in another task's mm, pin_user_pages_remote()
    under its mmap lock)."""
    remote_mm = pages.source_mm is not current_mm()
    npages = last_index - start_index + 1
    if user.get("upages") is None:
        user["upages"] = kmalloc_array(npages, None)
        if user["upages"] is None:
            return -ENOMEM
    uptr = _union_uptr(pages)
    addr = uptr + start_index * PAGE_SIZE if isinstance(uptr, int) else uptr
    if not remote_mm:
        rc = pin_user_pages_fast(addr, npages, user["gup_flags"], user["upages"])
    else:
        if not user.get("locked"):
            mmap_read_lock(pages.source_mm)
            user["locked"] = 1
        rc = pin_user_pages_remote(pages.source_mm, addr, npages, user["gup_flags"], user["upages"], user)
    if rc <= 0:
        if WARN_ON(rc == 0, "pfn_reader_user_pin: GUP pinned nothing"):
            return -EFAULT
        return rc
    pages.npinned += rc
    user["upages_start"], user["upages_end"] = start_index, start_index + rc
    return 0


@mirrors(f"{PAGES_C}:iopt_pages_fill_xarray", gap=GAP, revisions=UNTIL_7_1)
def iopt_pages_fill_xarray(pages, start_index: int, last_index: int, out_pages) -> int:
    """The slow path of an access: the hole (no domain or access holds the
    range in the xarray) is filled by pfn_reader_user_pin(); the user reader's
    page array is freed (and the remote mmap lock dropped) on the way out."""
    from dmabuf_lab.kmodel.mm import mmap_read_unlock
    user = {"upages": None, "locked": 0, "gup_flags": FOLL_LONGTERM | (FOLL_WRITE if pages.writable else 0)}
    try:
        rc = pfn_reader_user_pin(user, pages, start_index, last_index)
        if rc:
            return rc
        return 0
    finally:
        if user["locked"]:
            mmap_read_unlock(pages.source_mm)
        if user["upages"] is not None:
            kfree(user["upages"])


@mirrors(f"{PAGES_C}:iopt_area_add_access", gap=GAP, revisions=UNTIL_7_1)
def iopt_area_add_access(area, start_index: int, last_index: int, out_pages, flags: int,
                         lock_area: bool) -> int:
    """Record an in-kernel access: -EPERM for a write to read-only pages; under the
    pages mutex reuse an exact access or allocate one and fill the xarray."""
    pages = area.pages
    if flags & IOMMUFD_ACCESS_RW_WRITE and not pages.writable:
        return -EPERM
    mutex_lock(pages.mutex)
    try:
        for access in pages.access_itree:
            if access.start == start_index and access.last == last_index:
                area.num_accesses += 1
                if lock_area:
                    area.num_locks += 1
                access.users += 1
                return 0
        access = kzalloc(iopt_pages_access)
        if access is None:
            return -ENOMEM
        rc = iopt_pages_fill_xarray(pages, start_index, last_index, out_pages)
        if rc:
            kfree(access)
            return rc
        access.start, access.last, access.users = start_index, last_index, 1
        area.num_accesses += 1
        if lock_area:
            area.num_locks += 1
        pages.access_itree.append(access)
        return 0
    finally:
        mutex_unlock(pages.mutex)
