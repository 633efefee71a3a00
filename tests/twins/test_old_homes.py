"""Old module paths of moved twins still give their names, or say where they went."""
from __future__ import annotations

import importlib

import pytest

# old module -> (a name it offered, the module that defines it now)
OLD = {
    "dmabuf_lab.core.dma_buf": ("dma_buf_map_attachment", "dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19"),
    "dmabuf_lab.core.dma_buf_7_3": ("dma_buf_invalidate_mappings",
                                    "dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_7_1"),
    "dmabuf_lab.core.phys_vec_to_sgt": ("dma_buf_phys_vec_to_sgt",
                                        "dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.common"),
    "dmabuf_lab.core.iommu_dma": ("iommu_dma_link", "dmabuf_lab.linux.drivers.iommu.iommu.mainline_6_19"),
    "dmabuf_lab.drivers.vfio_pci_dmabuf": ("vfio_basic_config_write_command",
                                           "dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_config.mainline_6_19"),
    "dmabuf_lab.drivers.vfio_pci_dmabuf_7_3": ("vfio_pci_dma_buf_move",
                                               "dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.common"),
    "dmabuf_lab.drivers.vfio_pci.close_device": ("vfio_pci_core_close_device",
                                                 "dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_core.common"),
    "dmabuf_lab.drivers.xe.bo": ("xe_dma_buf_map_common", "dmabuf_lab.linux.drivers.gpu.drm.xe.xe_dma_buf.common"),
    "dmabuf_lab.drivers.xe.xarray_to_dma_addr": ("xe_bo_xarray_to_dma_addr",
                                                 "dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.rfc_v1"),
    "dmabuf_lab.drivers.xe.vf_translate": ("xe_translate_bar_ranges_to_dpa",
                                           "dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.rfc_v2"),
    "dmabuf_lab.drivers.xe.res_cursor": ("xe_res_next", "dmabuf_lab.linux.drivers.gpu.drm.xe.xe_res_cursor_h.rfc_v1"),
    "dmabuf_lab.drivers.xe.sriov_pf_config": ("xe_bo_get", "dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo_h.common"),
    "dmabuf_lab.drivers.xe.drm_pagemap_addr": ("drm_pagemap_addr_encode",
                                               "dmabuf_lab.linux.include.drm.drm_pagemap_h.rfc_v1"),
}


@pytest.mark.parametrize("old", sorted(OLD))
def test_old_path_gives_the_moved_object(old):
    name, home = OLD[old]
    assert getattr(importlib.import_module(old), name) is getattr(importlib.import_module(home), name)


@pytest.mark.parametrize("old", sorted(OLD))
def test_an_unknown_name_says_where_the_module_went(old):
    with pytest.raises(AttributeError, match=r"moved to dmabuf_lab\.linux\."):
        getattr(importlib.import_module(old), "no_such_twin")


def test_no_twin_is_declared_in_an_old_path():
    from dmabuf_lab.twin_index.table import all_decls

    olds = {m.replace(".", "/") + ".py" for m in OLD}
    assert not [d for d in all_decls() if d.file in olds]
