"""mlx5's two callbacks for the uverbs dma-buf export (drivers/infiniband/hw/mlx5/main.c).

Posted as "RDMA/mlx5: Implement DMABUF export ops" (rdma-next v3 3/3) and
merged for 7.0 with the exporter.  ``pgoff_to_mmap_entry`` decodes the
offset user space passes and looks the entry up (with a reference);
``mmap_get_pfns`` gives the entry's one physical range (its address and
``npages`` pages) and the P2P provider of the BAR that contains the range's
first byte.  As posted only the start is tested against the BAR: a range
that runs past the end of the BAR still passes (a later posted fix tests
the length too; it is not known to be merged, so it is not modelled).
"""
from __future__ import annotations

from dmabuf_lab.addr import PAGE_SIZE
from dmabuf_lab.kmodel import EINVAL, EOPNOTSUPP
from dmabuf_lab.linux.drivers.infiniband.core.ib_core_uverbs.mainline_7_1 import (
    rdma_user_mmap_entry, rdma_user_mmap_entry_get_pgoff)
from dmabuf_lab.linux.drivers.infiniband.core.rdma_core.mainline_7_1 import RUN_BY
from dmabuf_lab.pci.p2pdma import pcim_p2pdma_provider
from dmabuf_lab.pci.pci import PCI_STD_NUM_BARS, pci_resource_len, pci_resource_start
from dmabuf_lab.twins import mirrors

_PIN = "posting:rdma-dmabuf-export#3/3:drivers/infiniband/hw/mlx5/main.c"
PAGE_SHIFT = 12
MLX5_IB_MMAP_CMD_SHIFT = 8
MLX5_IB_MMAP_CMD_MASK = 0xFF


class mlx5_user_mmap_entry(rdma_user_mmap_entry):
    """mlx5's entry: the core entry plus the physical address it maps."""

    fields = (("address", 0),)


@mirrors(f"{_PIN}:phys_addr_to_bar", revisions=RUN_BY)
def phys_addr_to_bar(pdev, pa: int) -> int:
    """The memory BAR whose span holds ``pa`` (its start only), or -1."""
    for bar in range(PCI_STD_NUM_BARS):
        start = pci_resource_start(pdev, bar)
        length = pci_resource_len(pdev, bar)
        end = start + length - 1 if length else 0        # pci_resource_end()
        if not start or not end:
            continue
        if start <= pa <= end:
            return bar
    return -1


@mirrors(f"{_PIN}:mlx5_ib_mmap_get_pfns", revisions=RUN_BY)
def mlx5_ib_mmap_get_pfns(pdev, entry, phys_vec, provider_out: list) -> int:
    """Fill the one range and its provider: -EINVAL when no BAR holds the address,
    -EOPNOTSUPP when the BAR has no P2P provider."""
    phys_vec.paddr = entry.address
    phys_vec.len = entry.npages * PAGE_SIZE
    bar = phys_addr_to_bar(pdev, phys_vec.paddr)
    if bar < 0:
        return -EINVAL
    provider = pcim_p2pdma_provider(pdev, bar)
    provider_out[:] = [provider]
    if provider is None:
        return -EOPNOTSUPP
    return 0


@mirrors(f"{_PIN}:mlx5_ib_pgoff_to_mmap_entry", gap="get_command() and get_extended_index() are older "
         "mlx5 helpers the patch calls; their bit layout (command in bits 8..15, index in bits 0..7 "
         "and 16 up) is the lab's reading, not re-read in a tree", revisions=RUN_BY)
def mlx5_ib_pgoff_to_mmap_entry(ucontext, pg_off: int):
    """Decode the byte offset into mlx5's (command, index) page offset and look the entry up."""
    pg_off >>= PAGE_SHIFT
    command = (pg_off >> MLX5_IB_MMAP_CMD_SHIFT) & MLX5_IB_MMAP_CMD_MASK
    idx = (pg_off & ((1 << MLX5_IB_MMAP_CMD_SHIFT) - 1)) | (((pg_off >> 16) & 0xFFFF) << MLX5_IB_MMAP_CMD_SHIFT)
    entry_pgoff = command << 16 | idx
    return rdma_user_mmap_entry_get_pgoff(ucontext, entry_pgoff)
