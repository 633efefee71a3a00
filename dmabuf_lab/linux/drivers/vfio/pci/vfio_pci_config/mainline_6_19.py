"""drivers/vfio/pci/vfio_pci_config.c as in Linux 6.19: the COMMAND register write that turns memory decoding off."""
from __future__ import annotations

from dmabuf_lab.kmodel.rwsem import down_write, up_write
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import vfio_pci_dma_buf_move
from dmabuf_lab.twins import mirrors


@mirrors("jgunthorpe/linux@b3376904935d:drivers/vfio/pci/vfio_pci_config.c:vfio_basic_config_write", gap="a stored copy of this file, later than 6.19; only the PCI_COMMAND memory-enable branch is modelled and it was not read line by line", revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def vfio_basic_config_write_command(vdev, memory_enable: bool, move=vfio_pci_dma_buf_move) -> None:
    """The PCI_COMMAND part of vfio_basic_config_write(): memory_lock for write,
    revoke before decoding goes off, restore after it comes back on."""
    down_write(vdev.memory_lock)
    if not memory_enable:
        move(vdev, True)
    vdev.memory_enabled = memory_enable
    if memory_enable:
        move(vdev, False)
    up_write(vdev.memory_lock)
