"""drivers/vfio/pci/vfio_pci_rdwr.c as in Linux 7.2: the BAR iomap the export checks."""
from __future__ import annotations

from dmabuf_lab.twins import mirrors


#: no later change is known: v7.3-rc6 runs these as 7.2 [unverified: the vfio-v7.3-rc1 pull was not read]
_REVS = ("mainline-7.2", "mainline-7.3-rc6")


@mirrors("torvalds/linux@859dc0f6253b:drivers/vfio/pci/vfio_pci_rdwr.c:vfio_pci_core_get_iomap",
         gap="not read: the commit is named by the vfio-v7.2-rc1 merge log; the body (the BAR's "
             "iomap, an ERR_PTR where the set-up at open failed) and its file are inferred",
         revisions=_REVS)
def vfio_pci_core_get_iomap(vdev, bar: int):
    """``vdev->barmap[bar]``: the mapping made at open, or the ERR_PTR left there."""
    return vdev.barmap.get(bar)
