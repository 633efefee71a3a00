"""SR-IOV arithmetic on captured numbers, as drivers/pci/iov.c does it.

A capture gives a PF's IOV BAR bases, VF offset and stride, and sometimes the
size of the whole IOV resource (sysfs ``resource``) or of one VF's BAR (a VF
block in lspci).  These functions turn those into VF routing ids and VF BAR
addresses the way the kernel computes them when it creates the VFs.
"""
from __future__ import annotations


def pci_iov_virtfn_bus(bus: int, devfn: int, offset: int, stride: int, vf_id: int) -> int:
    """Bus number of VF ``vf_id``: carries out of devfn spill into the bus number."""
    return bus + ((devfn + offset + stride * vf_id) >> 8)


def pci_iov_virtfn_devfn(devfn: int, offset: int, stride: int, vf_id: int) -> int:
    """devfn of VF ``vf_id`` (the low 8 bits of PF routing id + offset + stride * id)."""
    return (devfn + offset + stride * vf_id) & 0xff


def virtfn_routing_id(pf_routing_id: int, offset: int, stride: int, vf_id: int) -> int:
    """Routing id (bus << 8 | devfn) of VF ``vf_id``; same sum as the two above."""
    return pf_routing_id + offset + stride * vf_id


def pci_iov_resource_size(iov_resource_size: int, total_vfs: int) -> int | None:
    """Per-VF size of one IOV BAR.

    sriov_init() sizes the VF BAR register (one VF's worth) and then grows the
    PF's IOV resource to that size times TotalVFs; virtfn_add() divides it back.
    Returns None when the division cannot be done (no VFs, or not a whole
    multiple, which a real kernel never produces).
    """
    if not total_vfs or total_vfs <= 0 or iov_resource_size <= 0:
        return None
    size, rem = divmod(iov_resource_size, total_vfs)
    return size if rem == 0 and size > 0 else None


def virtfn_bar_start(iov_base: int, size_per_vf: int, vf_id: int) -> int:
    """Start of VF ``vf_id``'s copy of a BAR: ``res->start + size * id`` in virtfn_add()."""
    return iov_base + size_per_vf * vf_id


def vf_id_for_routing_id(pf_routing_id: int, offset: int, stride: int,
                         vf_routing_id: int, total_vfs: int | None) -> int | None:
    """Inverse of virtfn_routing_id(): which VF a routing id is, or None."""
    delta = vf_routing_id - pf_routing_id - offset
    if delta < 0:
        return None
    if stride == 0:
        vf_id = 0 if delta == 0 else None
    elif delta % stride:
        return None
    else:
        vf_id = delta // stride
    if vf_id is None or (total_vfs is not None and vf_id >= total_vfs):
        return None
    return vf_id
