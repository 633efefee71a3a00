"""drivers/vfio/pci/vfio_pci_dmabuf.c in RFC v1 of the interconnects series: the IOV interconnect match and map, release and the feature ioctl."""
from __future__ import annotations

from dmabuf_lab.drivers.vfio_pci.sgt_helper import _sgt_map, _sgt_unmap
from dmabuf_lab.kmodel import EINVAL, ENODEV, ENOMEM, EOPNOTSUPP, kfree, kmalloc_array, kstruct, kzalloc, report, xa_err, xa_is_err, xa_load, xa_store
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import dma_buf_fd
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf import mainline_6_19 as vfio_619
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import _err_free_phys, _vfio_pci_dma_buf_export, _vfio_pci_dma_buf_link, feature_dma_buf_prepare, vfio_device_put_registration, vfio_pci_dma_buf
from dmabuf_lab.pci.pci import pci_physfn
from dmabuf_lab.revisions.base import deref, fixed
from dmabuf_lab.linux.include.linux.dma_buf_interconnect_h.rfc_v1 import (CREATE_IOV_INTERCONNECT, container_of_iov, dma_buf_interconnect_ops, dma_buf_iov_interconnect)
from dmabuf_lab.revisions.rfc_v1 import DMA_BUF_INTERCONNECT_IOV
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.rfc_v1 import dma_buf_ops_ic
from dmabuf_lab.twins import mirrors


class range_(kstruct):
    """``struct range {u64 start; u64 end;}`` (include/linux/range.h): ``end`` is inclusive."""

    fields = ("start", "end")
    sizeof = 16


def range_len(r) -> int:
    """``range_len()``: end - start + 1."""
    return r.end - r.start + 1


class vfio_pci_dma_buf_ic(vfio_pci_dma_buf):
    """``struct vfio_pci_dma_buf`` with the patch's ``iov_ic`` pointer."""

    fields = ("iov_ic",)


@mirrors("posting:interconnects-rfc-v1#4/8:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_create_iov_match")
def vfio_pci_create_iov_match(priv, dma_buf) -> int:
    """Allocate this buffer's IOV interconnect: our pdev and the exported BAR."""
    iov_ic = kzalloc(dma_buf_iov_interconnect)
    if iov_ic is None:
        return -ENOMEM
    iov_ic.type = DMA_BUF_INTERCONNECT_IOV
    iov_ic.pdev = priv.vdev.pdev
    iov_ic.bar = dma_buf.region_index
    priv.iov_ic = iov_ic
    return 0


@mirrors("posting:interconnects-rfc-v1#4/8:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_map_iov_interconnect")
def vfio_pci_map_iov_interconnect(priv, ranges) -> int:
    """Store one ``struct range`` per phys_vec entry in the xarray (pointers into one array)."""
    if priv.revoked:
        if fixed("ic-revoked"):
            return -ENODEV
        report("use-after-revoke", "vfio_pci_map_iov_interconnect hands out the BAR ranges of a revoked buffer")
    pv = priv.phys_vec
    rng = kmalloc_array(priv.nr_ranges, range_)
    if rng is None:
        return -ENOMEM
    for i in range(priv.nr_ranges):
        entry = rng[i]
        rng[i].start = pv[i].paddr
        rng[i].end = pv[i].paddr + pv[i].len - 1
        entry = xa_store(ranges, i, entry)
        if xa_is_err(entry):
            ret = xa_err(entry)
            kfree(rng)                      # err_free_range
            return ret
    return 0


@mirrors("posting:interconnects-rfc-v1#4/8:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_map_interconnect")
def vfio_pci_map_interconnect(attachment, ranges) -> int:
    """Fill ``ranges`` for the negotiated type (only IOV); -EINVAL for any other."""
    itype = attachment.interconnect.type
    priv = attachment.dmabuf.priv
    ret = -EINVAL
    ranges.nranges = priv.nr_ranges
    if itype == DMA_BUF_INTERCONNECT_IOV:
        ret = vfio_pci_map_iov_interconnect(priv, ranges.ranges)
    return ret


@mirrors("posting:interconnects-rfc-v1#4/8:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_unmap_interconnect")
def vfio_pci_unmap_interconnect(attachment, ranges) -> None:
    """Free the range array: entry 0 is its first element, so its address."""
    entry = xa_load(ranges.ranges, 0)
    kfree(entry)


@mirrors("posting:interconnects-rfc-v1#4/8:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_match_iov_interconnect")
def vfio_pci_match_iov_interconnect(exp, imp) -> bool:
    """The importer is the exporter's PF and both name the same BAR."""
    exp_ic = container_of_iov(exp)
    imp_ic = container_of_iov(imp)
    if fixed("iov-match-pf") and not exp_ic.pdev.is_virtfn:
        return False
    return imp_ic.pdev is pci_physfn(exp_ic.pdev) and imp_ic.bar == exp_ic.bar


@mirrors("posting:interconnects-rfc-v1#4/8:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_match_interconnect")
def vfio_pci_match_interconnect(exp, imp) -> bool:
    """Dispatch on the exporter's interconnect type."""
    if exp.type == DMA_BUF_INTERCONNECT_IOV:
        return vfio_pci_match_iov_interconnect(exp, imp)
    return False


@mirrors("posting:interconnects-rfc-v1#4/8:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_match_interconnects")
def vfio_pci_match_interconnects(priv, attachment) -> bool:
    """Offer our one interconnect to an importer that supports interconnects.

    As posted it reads ``priv->vdev->pdev`` first thing, and cleanup has set
    ``priv->vdev`` to NULL by the time a closed device's buffer is attached: an oops."""
    aops = attachment.importer_ops
    pdev = deref(priv.vdev, "pdev", "vfio_pci_match_interconnects")
    bar = priv.iov_ic.bar
    supports_ics = [CREATE_IOV_INTERCONNECT(pdev, bar)]
    if attachment.allow_ic:
        if aops.supports_interconnects(attachment, supports_ics, len(supports_ics)):
            return True
    return False


@mirrors("posting:interconnects-rfc-v1#4/8:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_attach")
def vfio_pci_dma_buf_attach(dmabuf, attachment) -> int:
    """An interconnect match accepts at once; otherwise the 6.19 P2P and revoked tests."""
    priv = dmabuf.priv
    if fixed("ic-revoked") and priv.revoked:
        return -ENODEV
    if vfio_pci_match_interconnects(priv, attachment):
        return 0
    if not attachment.peer2peer:
        return -EOPNOTSUPP
    if priv.revoked:
        return -ENODEV
    return 0


@mirrors("posting:interconnects-rfc-v1#4/8:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_release")
def vfio_pci_dma_buf_release(dmabuf) -> None:
    """6.19's release plus ``kfree(priv->iov_ic)``."""
    kfree(dmabuf.priv.iov_ic)
    vfio_619.vfio_pci_dma_buf_release(dmabuf)


vfio_pci_interconnect_ops = dma_buf_interconnect_ops(
    match_interconnect=vfio_pci_match_interconnect,
    map_interconnect=vfio_pci_map_interconnect,
    unmap_interconnect=vfio_pci_unmap_interconnect)


vfio_pci_dmabuf_ops = dma_buf_ops_ic(
    attach=vfio_pci_dma_buf_attach, map_dma_buf=_sgt_map, release=vfio_pci_dma_buf_release,
    unmap_dma_buf=_sgt_unmap, interconnect_ops=vfio_pci_interconnect_ops,
    name="vfio_pci_dmabuf_ops (RFC v1, IOV interconnect)")


@mirrors("posting:interconnects-rfc-v1#4/8:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_dma_buf_iommufd_map")
def vfio_pci_dma_buf_iommufd_map(attachment, phys) -> int:
    """The 6.19 vfio -> iommufd bridge, for this revision's ops table (one range only)."""
    return vfio_619.vfio_pci_dma_buf_iommufd_map(attachment, phys, ops=(vfio_pci_dmabuf_ops,))


@mirrors("posting:interconnects-rfc-v1#4/8:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_core_feature_dma_buf")
def vfio_pci_core_feature_dma_buf(vdev, flags: int, get_dma_buf) -> int:
    """VFIO_DEVICE_FEATURE_DMA_BUF with the patch's IOV match allocated before export.

    The 6.19 checks and helpers, then ``vfio_pci_create_iov_match()`` (error:
    ``err_dev_put``), ``dma_buf_export()`` (error: ``err_free_iov``) and, as in
    the patch's context, ``return dma_buf_fd()``.
    """
    ret, priv = feature_dma_buf_prepare(vdev, flags, get_dma_buf, vfio_pci_dma_buf_ic)
    if priv is None:
        return ret

    ret = vfio_pci_create_iov_match(priv, get_dma_buf)
    if ret:
        vfio_device_put_registration(vdev)          # err_dev_put
        return _err_free_phys(priv, None, ret)

    ret = _vfio_pci_dma_buf_export(vdev, priv, vfio_pci_dmabuf_ops, get_dma_buf.open_flags,
                                   err_free=(priv.iov_ic,))         # err_free_iov
    if ret:
        return ret
    _vfio_pci_dma_buf_link(vdev, priv)
    return dma_buf_fd(priv.dmabuf, get_dma_buf.open_flags)
