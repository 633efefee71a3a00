"""vfio_pci_dmabuf.c per release: the export's BAR check (7.1, 7.2) and the 7.1-rc1 revoke."""
import pytest

from dmabuf_lab.core import close_fd
from dmabuf_lab.drivers.vfio_pci_dmabuf import (VFIO_DEVICE_FEATURE_GET, vfio_device_feature_dma_buf,
                                                vfio_pci_core_device)
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.common import vfio_pci_dma_buf_cleanup, vfio_pci_dma_buf_move
from dmabuf_lab.hw import load_topology
from dmabuf_lab.kmodel import ENODEV, Kernel
from dmabuf_lab.kmodel.resource import request_mem_region
from dmabuf_lab.kmodel.rwsem import down_write, up_write
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_core import mainline_7_1 as core71
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf import mainline_7_1 as dmabuf71
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf import mainline_7_2 as dmabuf72

GPU = "0000:03:00.0"
BAR2 = 0x40_0000_0000


def kinds(k):
    return sorted(f.kind for f in k.findings)


def export(mod, v, bar=2):
    req = vfio_device_feature_dma_buf(bar, [(0, 0x20_0000)])
    return mod.vfio_pci_core_feature_dma_buf(v, VFIO_DEVICE_FEATURE_GET, req)


@pytest.mark.parametrize("mod", [dmabuf71, dmabuf72])
def test_export_of_a_bar_claimed_at_open(mod):
    v = vfio_pci_core_device(load_topology("gpu-nic-same-switch").device(GPU))
    with Kernel() as k:
        core71.vfio_pci_core_enable(v)
        fd = export(mod, v)
        assert fd >= 0 and len(v.dmabufs) == 1
        close_fd(fd)
        core71.vfio_pci_core_disable(v)
    assert kinds(k) == []


@pytest.mark.parametrize("mod", [dmabuf71, dmabuf72])
def test_export_of_a_bar_another_driver_holds_is_enodev(mod):
    v = vfio_pci_core_device(load_topology("gpu-nic-same-switch").device(GPU))
    with Kernel() as k:
        request_mem_region(BAR2, 0x1000, "efifb", "efifb")
        core71.vfio_pci_core_enable(v)
        assert export(mod, v) == -ENODEV
        assert v.dmabufs == [] and v.registrations == 1
        core71.vfio_pci_core_disable(v)
    assert kinds(k) == []                     # nothing allocated survives the refusal


@pytest.mark.parametrize("mod", [dmabuf71, dmabuf72])
def test_export_before_open_is_enodev(mod):
    """No enable, no barmap entry: 7.1 reads NULL as set up (not an error pointer)."""
    v = vfio_pci_core_device(load_topology("gpu-nic-same-switch").device(GPU))
    with Kernel():
        v.barmap[2] = None
        fd = export(mod, v)
    assert fd >= 0                            # the C tests IS_ERR only: a NULL entry passes


def test_empty_bar_is_enodev():
    v = vfio_pci_core_device(load_topology("gpu-nic-same-switch").device(GPU))
    with Kernel():
        core71.vfio_pci_core_enable(v)
        assert export(dmabuf71, v, bar=1) == -ENODEV


def _revoke(move, v):
    down_write(v.memory_lock)
    move(v, True)
    v.memory_enabled = False
    up_write(v.memory_lock)


@pytest.mark.parametrize("move, cleanup, expect", [
    (dmabuf71.vfio_pci_dma_buf_move_rc1, dmabuf71.vfio_pci_dma_buf_cleanup_rc1, ["lock", "warn"]),
    (vfio_pci_dma_buf_move, vfio_pci_dma_buf_cleanup, []),
])
def test_close_after_revoke(move, cleanup, expect):
    """rc1: the cleanup puts the kref the revoke already dropped (refcount underflow
    WARN) and waits on the consumed completion (never returns); c64a647c84f3: none."""
    v = vfio_pci_core_device(load_topology("gpu-nic-same-switch").device(GPU))
    with Kernel() as k:
        core71.vfio_pci_core_enable(v)
        fd = export(dmabuf71, v)
        _revoke(move, v)
        core71.vfio_pci_core_close_device(v, cleanup)
        close_fd(fd)
    assert kinds(k) == expect


def test_rc1_restore_rearms_so_revoke_again_is_clean():
    v = vfio_pci_core_device(load_topology("gpu-nic-same-switch").device(GPU))
    with Kernel() as k:
        core71.vfio_pci_core_enable(v)
        fd = export(dmabuf71, v)
        _revoke(dmabuf71.vfio_pci_dma_buf_move_rc1, v)
        down_write(v.memory_lock)
        v.memory_enabled = True
        dmabuf71.vfio_pci_dma_buf_move_rc1(v, False)
        up_write(v.memory_lock)
        assert v.dmabufs[0].kref == 1 and not v.dmabufs[0].revoked
        _revoke(dmabuf71.vfio_pci_dma_buf_move_rc1, v)
        close_fd(fd)
    assert kinds(k) == []
