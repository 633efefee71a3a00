"""mm/gup.c: pinning user pages for a long-term DMA pin, as the iommufd
access path calls it.  Only the checks before any page is touched are
modelled: the lockdep annotation that the slow path may take the mmap
lock, then the bound on the range.  A range that passes is taken as
pinned page by page (the model has no page tables)."""
from __future__ import annotations

from dmabuf_lab.kmodel import EFAULT, EOVERFLOW
from dmabuf_lab.kmodel.lockdep import might_lock_read
from dmabuf_lab.kmodel.mm import TASK_SIZE_MAX, current_mm, is_user_address
from dmabuf_lab.twins import mirrors

PAGE_SIZE = 4096
_GUP = "torvalds/linux@80a795162771:mm/gup.c"
_GAP = ("the stored mm/gup.c of this tree stands for 6.19; the order checked (might_lock_read of "
        "current->mm->mmap_lock before the TASK_SIZE_MAX test) was read in a stored copy of the file")


@mirrors(f"{_GUP}:gup_fast_fallback", gap=_GAP,
         revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def gup_fast_fallback(start, nr_pages: int, gup_flags: int, pages) -> int:
    """The lockdep note for the mmap lock, then -EFAULT past TASK_SIZE_MAX
    (or for anything that is not a user address); else the pages count."""
    might_lock_read(current_mm().mmap_lock)
    if not is_user_address(start):
        return -EFAULT
    start &= ~(PAGE_SIZE - 1)
    end = start + nr_pages * PAGE_SIZE
    if end >= 1 << 64:
        return -EOVERFLOW
    if end > TASK_SIZE_MAX:
        return -EFAULT
    return nr_pages


@mirrors(f"{_GUP}:pin_user_pages_fast", gap=_GAP,
         revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def pin_user_pages_fast(start, nr_pages: int, gup_flags: int, pages) -> int:
    """FOLL_PIN through gup_fast_fallback()."""
    return gup_fast_fallback(start, nr_pages, gup_flags, pages)


@mirrors(f"{_GUP}:pin_user_pages_remote", gap=_GAP,
         revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def pin_user_pages_remote(mm, start, nr_pages: int, gup_flags: int, pages, locked) -> int:
    """Pin in another task's mm; the caller holds its mmap lock (``locked``)."""
    if not is_user_address(start) or start + nr_pages * PAGE_SIZE > TASK_SIZE_MAX:
        return -EFAULT
    return nr_pages
