"""vfio-pci's MMIO dma-buf exporter (drivers/vfio/pci/vfio_pci_dmabuf.c, Linux 6.19).

User space asks vfio-pci (VFIO_DEVICE_FEATURE_DMA_BUF) for a dma-buf made
of slices of one BAR of the device it owns.  The exporter keeps the slices
as physical ranges plus the BAR's P2P provider, accepts only importers that
can take peer-to-peer addresses, maps through dma_buf_phys_vec_to_sgt(),
and revokes every buffer (``revoked`` + move_notify) when the device's
memory decoding is turned off or it is reset.  iommufd reads the single
physical range directly through vfio_pci_dma_buf_iommufd_map().

The device is a :class:`dmabuf_lab.pci.pci.PciDevice` (a PF or a VF); BAR
addresses come from the topology.  ``faithful=False`` on the export fixes
the one error path that, as merged, touches ``priv`` after dma_buf_put()
freed it; ``fixed_helper=True`` exports with ops that call the core
helper's corrected variant (see :mod:`dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.common`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from dmabuf_lab.pci.pci import pci_resource_start, pci_resource_len
from dmabuf_lab.addr import PAGE_SIZE, U64_MAX, phys_vec
from dmabuf_lab.core.dma_mapping import DMA_IOVA_USE_SWIOTLB
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import (dma_buf_export, dma_buf_fd, dma_buf_move_notify,
                                     dma_buf_put)
from dmabuf_lab.core.file import fput, get_file_active
from dmabuf_lab.core.ops import dma_buf_export_info, dma_buf_ops
from dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.common import dma_buf_free_sgt, dma_buf_phys_vec_to_sgt
from dmabuf_lab.kmodel import (EINVAL, ENODEV, ENOMEM, EOPNOTSUPP, EOVERFLOW, ERR_PTR, IS_ERR,
                               PTR_ERR, dma_resv_assert_held, dma_resv_lock, dma_resv_unlock,
                               kcalloc, kfree, kmalloc_array, kstruct, kzalloc)
from dmabuf_lab.kmodel.rwsem import down_write, rw_semaphore, up_write
from dmabuf_lab.kmodel.sched import SharedState, shared_read, shared_write
from dmabuf_lab.twins import mirrors
from dmabuf_lab.pci.p2pdma import pcim_p2pdma_init, pcim_p2pdma_provider
from dmabuf_lab.twins import mirrors

#: The 6.19 tree this module was read in (the vfio-v6.19-rc8 state).
_PIN_619 = "torvalds/linux@1f97d9dcf536:drivers/vfio/pci/vfio_pci_dmabuf.c"

#: VFIO_PCI_ROM_REGION_INDEX: regions 0..5 are the BARs.
VFIO_PCI_ROM_REGION_INDEX = 6
# VFIO_DEVICE_FEATURE flags (include/uapi/linux/vfio.h)
VFIO_DEVICE_FEATURE_GET = 1 << 16
VFIO_DEVICE_FEATURE_SET = 1 << 17
VFIO_DEVICE_FEATURE_PROBE = 1 << 18


# --- user-space ABI ----------------------------------------------------------

@dataclass
class vfio_region_dma_range:
    """One slice of the region: byte ``offset`` into the BAR and ``length``."""

    offset: int
    length: int


@dataclass
class vfio_device_feature_dma_buf:
    """The feature payload: BAR index, open flags, reserved flags, the ranges."""

    region_index: int
    dma_ranges: list
    open_flags: int = 0
    flags: int = 0
    nr_ranges: Optional[int] = None       # None: len(dma_ranges)

    def __post_init__(self):
        self.dma_ranges = [r if isinstance(r, vfio_region_dma_range) else vfio_region_dma_range(*r)
                           for r in self.dma_ranges]
        if self.nr_ranges is None:
            self.nr_ranges = len(self.dma_ranges)


# --- kernel structs ------------------------------------------------------------

class vfio_pci_dma_buf(kstruct):
    """The exporter's private object behind one dma-buf.

    ``revoked`` is read without the reservation lock by attach and written by
    revoke and cleanup; ``vdev`` is cleared by cleanup while the release of a
    closing file reads it: both are announced on every access."""

    fields = ("dmabuf", "vdev", "size", "phys_vec", "provider", ("nr_ranges", 0),
              ("revoked", False))
    shared = ("revoked", "vdev")


@dataclass
class vfio_pci_device_ops:
    """vfio_pci_core's per-driver hooks; only get_dmabuf_phys matters here."""

    get_dmabuf_phys: Optional[Callable[..., int]] = None


@dataclass(eq=False)
class vfio_pci_core_device(SharedState):
    """A vfio-pci bound device: its PCI function, the dma-bufs exported from it,
    whether memory decoding is on (PCI_COMMAND_MEMORY) and its registration count.
    The decode bit is what an importer's DMA meets: every access is announced."""

    shared = {"memory_enabled": "PCI_COMMAND_MEMORY"}

    pdev: Any
    pci_ops: Optional[vfio_pci_device_ops] = None
    dmabufs: list = field(default_factory=list)
    memory_enabled: bool = True
    registrations: int = 1
    unregistering: bool = False
    #: vdev->barmap[]: per BAR index, NULL (None), the pci_iomap() cookie, or an ERR_PTR (7.1+)
    barmap: dict = field(default_factory=dict)
    memory_lock: rw_semaphore = field(default_factory=lambda: rw_semaphore("memory_lock"))

    def __post_init__(self):
        if self.pci_ops is None:
            self.pci_ops = vfio_pci_device_ops(get_dmabuf_phys=vfio_pci_core_get_dmabuf_phys)
        vfio_pci_core_init_dev(self)


def vfio_pci_core_init_dev(vdev) -> int:
    """Device set-up as far as dma-buf cares: P2P providers for its BARs."""
    return pcim_p2pdma_init(vdev.pdev)


def vfio_device_try_get_registration(vdev) -> bool:
    """Take a registration reference unless the device is being unregistered."""
    if vdev.unregistering or vdev.registrations == 0:
        return False
    vdev.registrations += 1
    return True


def vfio_device_put_registration(vdev) -> None:
    """Drop a registration reference."""
    vdev.registrations -= 1


# --- dma_buf_ops ---------------------------------------------------------------

@mirrors("torvalds/linux@1f97d9dcf536:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_attach", revisions=("mainline-6.19", "get-pfn", "offer-list"))
def vfio_pci_dma_buf_attach(dmabuf, attachment) -> int:
    """Refuse importers that cannot take P2P addresses (-EOPNOTSUPP), and any
    attach while the buffer is revoked (-ENODEV)."""
    priv = dmabuf.priv
    if not attachment.peer2peer:
        return -EOPNOTSUPP
    if priv.revoked:                    # no lock held: the real gate is in map
        return -ENODEV
    return 0


@mirrors("torvalds/linux@1f97d9dcf536:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_map", revisions=("mainline-6.19", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05"))
def vfio_pci_dma_buf_map(attachment, direction: int, *, faithful: bool = True):
    """Map for the importer (resv held): -ENODEV when revoked, else the core helper."""
    priv = attachment.dmabuf.priv
    dma_resv_assert_held(priv.dmabuf.resv)
    if priv.revoked:
        return ERR_PTR(-ENODEV)
    return dma_buf_phys_vec_to_sgt(attachment, priv.provider, priv.phys_vec, priv.nr_ranges,
                                   priv.size, direction, faithful=faithful)


@mirrors("torvalds/linux@1f97d9dcf536:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_unmap", revisions=("mainline-6.19", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05"))
def vfio_pci_dma_buf_unmap(attachment, sgt, direction: int, *, faithful: bool = True) -> None:
    """Give a mapping back: dma_buf_free_sgt()."""
    dma_buf_free_sgt(attachment, sgt, direction, faithful=faithful)


@mirrors("torvalds/linux@1f97d9dcf536:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_release", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def vfio_pci_dma_buf_release(dmabuf) -> None:
    """Last reference gone: leave the device's list (memory_lock held for write),
    drop the registration, free."""
    priv = dmabuf.priv
    if priv.vdev is not None:
        down_write(priv.vdev.memory_lock)
        _list_del(priv.vdev.dmabufs, priv)
        up_write(priv.vdev.memory_lock)
        vfio_device_put_registration(priv.vdev)
    kfree(priv.phys_vec)
    kfree(priv)


@mirrors("torvalds/linux@1f97d9dcf536:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_pin", revisions=("mainline-6.19",))
def vfio_pci_dma_buf_pin(attachment) -> int:
    """61ceaf236115 ("vfio: Prevent from pinned DMABUF importers to attach to VFIO DMABUF",
    6.19-rc8): a pin always fails, so an importer that must pin cannot use the buffer."""
    return -EOPNOTSUPP


@mirrors("torvalds/linux@1f97d9dcf536:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_unpin", revisions=("mainline-6.19",))
def vfio_pci_dma_buf_unpin(attachment) -> None:
    """Nothing to undo."""


def vfio_pci_dmabuf_ops_pair(label: str, *, map_dma_buf=vfio_pci_dma_buf_map, unmap_dma_buf=vfio_pci_dma_buf_unmap,
                             **callbacks) -> tuple[dma_buf_ops, dma_buf_ops]:
    """``vfio_pci_dmabuf_ops`` as merged and the same table with the lab's fixes for
    the core helper's defects (``faithful=False``); ``label`` goes in their names."""
    callbacks = {"attach": vfio_pci_dma_buf_attach, "release": vfio_pci_dma_buf_release, **callbacks}
    tag = f"{label}, " if label else ""
    return (dma_buf_ops(map_dma_buf=map_dma_buf, unmap_dma_buf=unmap_dma_buf,
                        name=f"vfio_pci_dmabuf_ops ({label})" if label else "vfio_pci_dmabuf_ops", **callbacks),
            dma_buf_ops(map_dma_buf=lambda a, d: map_dma_buf(a, d, faithful=False),
                        unmap_dma_buf=lambda a, s, d: unmap_dma_buf(a, s, d, faithful=False),
                        name=f"vfio_pci_dmabuf_ops ({tag}fixed helper)", **callbacks))


#: The series as first merged (the table later designs build on), and its twin with the fixed helper.
vfio_pci_dmabuf_ops, vfio_pci_dmabuf_ops_fixed = vfio_pci_dmabuf_ops_pair("")

#: Linux 6.19 as released: the tables above plus the pin/unpin pair of 61ceaf236115.  With
#: CONFIG_DMABUF_MOVE_NOTIFY off (its default) dma_buf_map_attachment() pins every
#: importer of a pinnable exporter, so every map fails with -EOPNOTSUPP.
vfio_pci_dmabuf_ops_pin, vfio_pci_dmabuf_ops_pin_fixed = vfio_pci_dmabuf_ops_pair(
    "6.19", pin=vfio_pci_dma_buf_pin, unpin=vfio_pci_dma_buf_unpin)


@mirrors("torvalds/linux@1f97d9dcf536:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_iommufd_map", revisions=("mainline-6.19", "rfc-v1", "rfc-v2", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def vfio_pci_dma_buf_iommufd_map(attachment, phys, *,
                                 ops: tuple = (vfio_pci_dmabuf_ops, vfio_pci_dmabuf_ops_fixed,
                                               vfio_pci_dmabuf_ops_pin, vfio_pci_dmabuf_ops_pin_fixed)) -> int:
    """The private vfio -> iommufd bridge: copy the single range into ``phys``.

    -EOPNOTSUPP when the buffer is not vfio's (its ops are none of ``ops``, the
    tables of the revision in use) or has more than one range, -ENODEV when
    revoked; needs the reservation lock.
    """
    dma_resv_assert_held(attachment.dmabuf.resv)
    if attachment.dmabuf.ops not in ops:
        return -EOPNOTSUPP
    priv = attachment.dmabuf.priv
    if priv.revoked:
        return -ENODEV
    if priv.nr_ranges != 1:
        return -EOPNOTSUPP
    phys.paddr = priv.phys_vec[0].paddr
    phys.len = priv.phys_vec[0].len
    return 0


# --- export --------------------------------------------------------------------

@mirrors("torvalds/linux@1f97d9dcf536:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_core_fill_phys_vec", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def vfio_pci_core_fill_phys_vec(pv, dma_ranges, nr_ranges: int, start: int, length: int) -> int:
    """Turn BAR-relative slices into physical ranges inside ``[start, start+length)``.

    Zero length -> -EINVAL; an address sum past 2**64 -> -EOVERFLOW; a slice
    ending past the BAR -> -EINVAL.
    """
    max_addr = start + length
    for i in range(nr_ranges):
        if not dma_ranges[i].length:
            return -EINVAL
        paddr = start + dma_ranges[i].offset
        if paddr > U64_MAX:
            return -EOVERFLOW
        end = paddr + dma_ranges[i].length
        if end > U64_MAX:
            return -EOVERFLOW
        pv[i].paddr = paddr
        if end > max_addr:
            return -EINVAL
        pv[i].len = dma_ranges[i].length
    return 0


@mirrors("torvalds/linux@1f97d9dcf536:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_core_get_dmabuf_phys", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def vfio_pci_core_get_dmabuf_phys(vdev, region_index: int, pv, dma_ranges,
                                  nr_ranges: int) -> tuple[Any, int]:
    """Find the BAR's P2P provider (-EINVAL without one) and fill the ranges.

    Returns ``(provider, ret)``; C returns the provider through a pointer.
    """
    pdev = vdev.pdev
    provider = pcim_p2pdma_provider(pdev, region_index)
    if provider is None:
        return None, -EINVAL
    return provider, vfio_pci_core_fill_phys_vec(pv, dma_ranges, nr_ranges,
                                                 pci_resource_start(pdev, region_index),
                                                 pci_resource_len(pdev, region_index))


@mirrors("torvalds/linux@1f97d9dcf536:drivers/vfio/pci/vfio_pci_dmabuf.c:validate_dmabuf_input", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def validate_dmabuf_input(get_dma_buf, dma_ranges) -> tuple[int, int]:
    """Check every slice (non-zero, page-aligned offset and length) and sum them.

    Returns ``(ret, total)``; a total past size_t, or one reaching the
    DMA_IOVA_USE_SWIOTLB bit, is -EINVAL.
    """
    length = 0
    for i in range(get_dma_buf.nr_ranges):
        offset, ln = dma_ranges[i].offset, dma_ranges[i].length
        if not ln or offset % PAGE_SIZE or ln % PAGE_SIZE:
            return -EINVAL, 0
        length += ln
        if length > U64_MAX:
            return -EINVAL, 0
    if length & DMA_IOVA_USE_SWIOTLB:
        return -EINVAL, 0
    return 0, length


def vfio_check_feature(flags: int, supported_ops: int) -> int:
    """1 to go on with the feature, 0 for a PROBE, -EINVAL for unsupported ops."""
    if (flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET)) & ~supported_ops:
        return -EINVAL
    if flags & VFIO_DEVICE_FEATURE_PROBE:
        return 0
    if not flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET):
        return -EINVAL
    return 1


class vfio_region_dma_range_k(kstruct):
    """The kernel copy of one user range."""

    fields = ("offset", "length")


def memdup_array_user(src: list, n: int):
    """Copy ``n`` user ranges into a kmalloc'd array; ERR_PTR(-ENOMEM) on failure."""
    arr = kmalloc_array(n, vfio_region_dma_range_k)
    if arr is None:
        return ERR_PTR(-ENOMEM)
    for i in range(n):
        arr[i].offset = int(src[i].offset)
        arr[i].length = int(src[i].length)
    return arr


@mirrors("torvalds/linux@1f97d9dcf536:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_core_feature_dma_buf", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def feature_dma_buf_prepare(vdev, flags: int, get_dma_buf: vfio_device_feature_dma_buf,
                            priv_type: type = vfio_pci_dma_buf,
                            bar_check: Optional[Callable] = None) -> tuple[int, Any]:
    """vfio_pci_core_feature_dma_buf() up to the export: checks, ranges, ``priv``, registration.

    Returns ``(0, priv)`` (a ``priv_type``, registration held) or ``(ret,
    None)`` with everything undone, ``ret`` being what the ioctl returns (0
    for a PROBE).  RFC v1's version of the ioctl shares this part.  7.1 adds
    ``bar_check(vdev, bar)``, non-zero when the BAR's resources were not set
    up (702809dabdec): -ENODEV like a region past the BARs.
    """
    if vdev.pci_ops is None or vdev.pci_ops.get_dmabuf_phys is None:
        return -EOPNOTSUPP, None
    ret = vfio_check_feature(flags, VFIO_DEVICE_FEATURE_GET)
    if ret != 1:
        return ret, None
    if not get_dma_buf.nr_ranges or get_dma_buf.flags:
        return -EINVAL, None
    if get_dma_buf.region_index >= VFIO_PCI_ROM_REGION_INDEX:
        return -ENODEV, None
    if bar_check is not None and bar_check(vdev, get_dma_buf.region_index):
        return -ENODEV, None

    dma_ranges = memdup_array_user(get_dma_buf.dma_ranges, get_dma_buf.nr_ranges)
    if IS_ERR(dma_ranges):
        return PTR_ERR(dma_ranges), None

    ret, length = validate_dmabuf_input(get_dma_buf, dma_ranges)
    if ret:
        kfree(dma_ranges)
        return ret, None

    priv = kzalloc(priv_type)
    if priv is None:
        kfree(dma_ranges)
        return -ENOMEM, None
    priv.phys_vec = kcalloc(get_dma_buf.nr_ranges, phys_vec)
    if priv.phys_vec is None:
        kfree(priv)
        kfree(dma_ranges)
        return -ENOMEM, None

    priv.vdev = vdev
    priv.nr_ranges = get_dma_buf.nr_ranges
    priv.size = length
    priv.provider, ret = vdev.pci_ops.get_dmabuf_phys(vdev, get_dma_buf.region_index,
                                                      priv.phys_vec, dma_ranges, priv.nr_ranges)
    if ret:
        return _err_free_phys(priv, dma_ranges, ret), None

    kfree(dma_ranges)

    if not vfio_device_try_get_registration(vdev):
        return _err_free_phys(priv, None, -ENODEV), None
    return 0, priv


@mirrors(f"{_PIN_619}:vfio_pci_core_feature_dma_buf", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05"))
def vfio_pci_core_feature_dma_buf(vdev, flags: int, get_dma_buf: vfio_device_feature_dma_buf,
                                  *, faithful: bool = True, fixed_helper: bool = False,
                                  pin_ops: bool = False, priv_type: type = vfio_pci_dma_buf,
                                  after_export: Optional[Callable] = None) -> int:
    """VFIO_DEVICE_FEATURE_DMA_BUF: export BAR slices as a dma-buf; an fd or -errno.

    Checks, in the kernel's order: driver support (-EOPNOTSUPP), feature
    flags, ``nr_ranges == 0`` or non-zero ``flags`` (-EINVAL), a region past
    the BARs (-ENODEV), then each slice (validate_dmabuf_input), the BAR's
    provider and bounds (vfio_pci_core_fill_phys_vec), the registration
    (-ENODEV) and dma_buf_export().  The new buffer starts revoked when
    memory decoding is off.  As merged, a failing dma_buf_fd() puts the
    buffer (freeing ``priv``) and then frees ``priv`` again;
    ``faithful=False`` returns right after the put.  ``fixed_helper``
    exports with :data:`vfio_pci_dmabuf_ops_fixed`; ``pin_ops`` with the
    released 6.19 table that has the always-failing pin of 61ceaf236115
    (earlier revisions of the series, which later designs build on, had none).
    ``priv_type`` and ``after_export(priv)`` let a later design that reuses
    this path use its own private struct and do what its export does between
    dma_buf_export() and linking the buffer (its ops, a kref, a reference).
    """
    ret, priv = feature_dma_buf_prepare(vdev, flags, get_dma_buf, priv_type)
    if priv is None:
        return ret

    if pin_ops:
        ops = vfio_pci_dmabuf_ops_pin_fixed if fixed_helper else vfio_pci_dmabuf_ops_pin
    else:
        ops = vfio_pci_dmabuf_ops_fixed if fixed_helper else vfio_pci_dmabuf_ops
    ret = _vfio_pci_dma_buf_export(vdev, priv, ops, get_dma_buf.open_flags)
    if ret:
        return ret
    if after_export is not None:          # a later design's own steps before the buffer is linked
        after_export(priv)
    # dma_buf_put() now frees priv
    _vfio_pci_dma_buf_link(vdev, priv)
    return _vfio_pci_dma_buf_install_fd(vdev, priv, get_dma_buf.open_flags, faithful=faithful)


@mirrors("torvalds/linux@1f97d9dcf536:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_core_feature_dma_buf", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def _vfio_pci_dma_buf_export(vdev, priv, ops, open_flags: int, err_free: tuple = ()) -> int:
    """dma_buf_export() of ``priv`` with ``ops``: 0, or -errno after the error path
    (free ``err_free``, what the caller allocated since the preparation; drop the
    registration; free ``priv``)."""
    exp_info = dma_buf_export_info(ops=ops, size=priv.size, flags=open_flags, priv=priv, exp_name="vfio_pci")
    priv.dmabuf = dma_buf_export(exp_info)
    if IS_ERR(priv.dmabuf):
        ret = PTR_ERR(priv.dmabuf)
        for p in err_free:
            kfree(p)
        vfio_device_put_registration(vdev)
        return _err_free_phys(priv, None, ret)
    return 0


@mirrors("torvalds/linux@1f97d9dcf536:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_core_feature_dma_buf", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def _vfio_pci_dma_buf_link(vdev, priv) -> None:
    """Under memory_lock (for write) and the new buffer's reservation lock: revoked
    while memory decoding is off, onto the device's list.  memory_lock is what a
    revoke holds across its walk of the list and the PCI_COMMAND write, so the new
    buffer is either on the list the revoke walks or sees decoding already off."""
    down_write(vdev.memory_lock)
    dma_resv_lock(priv.dmabuf.resv)
    priv.revoked = not vdev.memory_enabled
    shared_write(vdev, "dmabufs")
    vdev.dmabufs.append(priv)
    dma_resv_unlock(priv.dmabuf.resv)
    up_write(vdev.memory_lock)


@mirrors("torvalds/linux@1f97d9dcf536:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_core_feature_dma_buf", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def _vfio_pci_dma_buf_install_fd(vdev, priv, open_flags: int, *, faithful: bool = True) -> int:
    """dma_buf_fd(); on failure put the buffer (its release frees ``priv``) and, as
    merged in 6.19 (``faithful``), drop the registration and free ``priv`` again.
    ``faithful=False`` is e98137f0a874's put-and-return."""
    ret = dma_buf_fd(priv.dmabuf, open_flags)
    if ret < 0:
        dma_buf_put(priv.dmabuf)
        if not faithful:
            return ret
        vfio_device_put_registration(vdev)
        return _err_free_phys(priv, None, ret)
    return ret


@mirrors("torvalds/linux@1f97d9dcf536:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_core_feature_dma_buf", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def _err_free_phys(priv, dma_ranges, ret: int) -> int:
    kfree(priv.phys_vec)
    kfree(priv)
    kfree(dma_ranges)
    return ret


# --- revoke ----------------------------------------------------------------------

@mirrors(f"{_PIN_619}:vfio_pci_dma_buf_move", revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03"))
def vfio_pci_dma_buf_move(vdev, revoked: bool) -> None:
    """Set every live buffer of ``vdev`` to ``revoked`` under its reservation lock and
    tell the importers (dma_buf_move_notify); called with memory_lock held for write.

    This is 6.19: nothing waits, so importers may still be doing DMA to the
    BAR (fenced work, mappings not yet unmapped) when it returns."""
    shared_read(vdev, "dmabufs")          # the walk starts from the list as it is now
    for priv in list(vdev.dmabufs):
        if get_file_active(priv.dmabuf.file) is None:
            continue
        if priv.revoked != revoked:
            dma_resv_lock(priv.dmabuf.resv)
            priv.revoked = revoked
            dma_buf_move_notify(priv.dmabuf)
            dma_resv_unlock(priv.dmabuf.resv)
        fput(priv.dmabuf.file)


@mirrors(f"{_PIN_619}:vfio_pci_dma_buf_cleanup", revisions=("mainline-6.19",))
def vfio_pci_dma_buf_cleanup(vdev) -> None:
    """Device going away: under memory_lock detach every buffer from ``vdev`` and
    revoke it for good (no wait)."""
    down_write(vdev.memory_lock)
    for priv in list(vdev.dmabufs):
        if get_file_active(priv.dmabuf.file) is None:
            continue
        dma_resv_lock(priv.dmabuf.resv)
        _list_del(vdev.dmabufs, priv)
        priv.vdev = None
        priv.revoked = True
        dma_buf_move_notify(priv.dmabuf)
        dma_resv_unlock(priv.dmabuf.resv)
        vfio_device_put_registration(vdev)
        fput(priv.dmabuf.file)
    up_write(vdev.memory_lock)


def _list_del(lst: list, item) -> None:
    for i, x in enumerate(lst):
        if x is item:
            del lst[i]
            return


