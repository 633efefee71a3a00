"""xe's PF-side VF provisioning as far as import needs it (xe_gt_sriov_pf_config.c).

RFC v1 patch 6/8 (the RFC v1 thread (2025-10-14)) adds
:func:`xe_gt_sriov_pf_config_get_lmem_obj`: under the PF master mutex, the
object backing VF ``vfid``'s LMEM quota.  xe numbers VFs from 1 (``vfid``
0 is the PF), so the VF with ``pci_iov_vf_id() == i`` is config ``i + 1``.
The objects are the topology's per-VF :class:`~dmabuf_lab.hw.LmemObject`."""
from __future__ import annotations

from typing import Any, Optional

from dmabuf_lab.twins import mirrors


@mirrors("posting:interconnects-rfc-v1#6/8:drivers/gpu/drm/xe/xe_gt_sriov_pf_config.c:pf_pick_vf_config", revisions=("rfc-v1",))
def pf_pick_vf_config(pf, vfid: int) -> Optional[Any]:
    """The VF whose xe config number is ``vfid`` (1-based), or None."""
    for dev in pf.topology.devices.values() if getattr(pf, "topology", None) else ():
        if dev.is_virtfn and dev.physfn is pf and dev.vf_index == vfid - 1:
            return dev
    return None


@mirrors("posting:interconnects-rfc-v1#6/8:drivers/gpu/drm/xe/xe_gt_sriov_pf_config.c:xe_gt_sriov_pf_config_get_lmem_obj", revisions=("rfc-v1",))
def xe_gt_sriov_pf_config_get_lmem_obj(pf, vfid: int):
    """The LMEM object backing config ``vfid`` (None when that VF has none)."""
    vf = pf_pick_vf_config(pf, vfid)
    return None if vf is None else vf.lmem


