"""The one allow-list: lab machinery on the modelled paths that mirrors no C function.

Each entry is a pattern over ``module:qualname`` (shell-style, as
:func:`fnmatch.fnmatchcase` reads it) and the reason it is not a twin.  A
function on a modelled path (:mod:`.modelled`) must carry ``@mirrors`` or
match an entry here; ``tests/twins`` fails otherwise.  A declared function
never needs an entry, so a pattern here cannot hide a twin that has one.
"""
from __future__ import annotations

from fnmatch import fnmatchcase

_DRIVER = ("a lab driver: plays the importing or exporting driver's side of a litmus step "
           "(export, attach, map, unmap, detach, revoke, move) and calls the twins of the kernel API")
_STRUCT = "the constructor of a Python object that stands for a C struct or a lab object; the C has no function for it"
_PRIVATE = "a private step the model splits out of an enclosing twin; the twin's pin covers it"
_INFRA = ("a kernel service the twins call, modelled by its effect only (file refcount, fd table, workqueue, "
          "kref, completion, user copy, feature-argument check, device registration): not a twin of a read function")
_SESSION = "the litmus runner's session: revision, variant, trace and the fixed()/mode() switches"
_PCI_MODEL = "the PCI device model (struct pci_dev fields, BAR table, BDF text, SR-IOV layout arithmetic)"
_CONTAINER = "a container helper the lab uses to build and cost each revision's address list; the postings give the struct only"

ALLOW: tuple[tuple[str, str], ...] = (
    # the litmus harness
    ("dmabuf_lab.drivers.*:*Importer*.*", _DRIVER),
    ("dmabuf_lab.drivers.*:*Exporter*.*", _DRIVER),
    ("dmabuf_lab.drivers.*:make_exporter", "the factory the registry calls for a (driver, revision) pair"),
    ("dmabuf_lab.drivers.*:make_importer", "the factory the registry calls for a (driver, revision) pair"),
    ("dmabuf_lab.drivers.pfn_importer:make_device_importer", "the factory the registry calls for a (driver, revision) pair"),
    ("dmabuf_lab.drivers.registry:*", "which module writes a driver against a revision, and its scenario options"),
    ("dmabuf_lab.drivers.common:*", "scenario helpers: the device a spec names, errno and ERR_PTR checks on a driver step"),
    ("dmabuf_lab.drivers.dma_access:*", "the checker's view of DMA through a mapping (use after revoke)"),
    ("dmabuf_lab.drivers.sgt_importer_v2:count_walk", "counts the importer's walk of a list for the container figures"),
    ("dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.common:helper_release",
     "picks which release's dma-buf-mapping.c the running mainline release links against"),
    ("dmabuf_lab.drivers.vfio_pci.sgt_helper:_sgt_*", "routes a revision's vfio map/unmap to the 6.19 twin with or without the sgt-helper fix"),
    ("dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mapping_types_2026_02:pci_dev_get",
     "stands for the pci_dev reference of the 2026-04-13 match fix; the model does not count PCI device references"),
    ("dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mapping_types_2026_02:pci_dev_put",
     "stands for the pci_dev reference of the 2026-04-13 match fix; the model does not count PCI device references"),
    ("dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mapping_types_2026_03:wait_for_completion",
     "the scheduler's view of the completion wait: lets queued importer work run before the kmodel wait"),
    ("dmabuf_lab.revisions.base:*", _SESSION),
    ("dmabuf_lab.linux.*.common:*", "a body or struct several releases of one C file share; each release's "
     "twin pins the C function it runs in"),
    ("dmabuf_lab.linux.drivers.infiniband.core.umem_dmabuf.*:ib_umem_release",
     "the dma-buf branch of ib_umem_release() (drivers/infiniband/core/umem.c, not read): an is_dmabuf "
     "umem goes to ib_umem_dmabuf_release()"),
    ("dmabuf_lab.core.session:*", _SESSION),
    ("dmabuf_lab.pci.p2pdma:upstream_path",
     "the list of pci_upstream_bridge() steps the distance walk takes, computed once; its twin is _calc's pin"),
    ("dmabuf_lab.linux.drivers.dma_buf.dma_buf.mapping_types_2025_10:pal_to_sgt_helper",
     "picks the PAL-to-SGT converter a design runs (the merged helper, or the lab's corrected one)"),
    ("dmabuf_lab.revisions.mapping_types_2026_05:plan_helper_args",
     "the arguments the plan's step hands to its PAL-to-SGT converter (a lab mode)"),
    ("dmabuf_lab.revisions:*", "the revision table: names, aliases, module lookup"),
    ("dmabuf_lab.revisions.mapping_types_2026_05:stage", "selects the review plan's step (a lab mode)"),
    # Python stand-ins for C structs, and private steps
    ("*.__init__", _STRUCT),
    ("*.__post_init__", _STRUCT),
    ("*.__new__", _STRUCT),
    ("dmabuf_lab.linux.drivers.gpu.drm.xe.xe_dma_buf.*:xe_dma_buf_attach_ops",
     "builds the static const dma_buf_attach_ops table of xe_dma_buf.c, with the member its release names"),
    ("dmabuf_lab.core.*:_*", _PRIVATE),
    ("dmabuf_lab.drivers.*:_*", _PRIVATE),
    ("dmabuf_lab.revisions.*:_*", _PRIVATE),
    ("dmabuf_lab.pci.*:_*", _PRIVATE),
    ("dmabuf_lab.addr.*:_*", _PRIVATE),
    ("dmabuf_lab.linux.*:_*", _PRIVATE),
    ("dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.rfc_v1:*.<locals>.*", _PRIVATE),
    ("dmabuf_lab.linux.drivers.dma_buf.dma_buf.*:container_of",
     "C's container_of() idiom: the typed ops around a common part"),
    ("dmabuf_lab.revisions.*:mapping_kind", "names the address kind a mapping hands out, for the verdict"),
    ("dmabuf_lab.linux.drivers.dma_buf.dma_buf.mapping_types_2026_02:match_list", "builds an importer's match list from its scenario options"),
    # kernel services used by the twins
    ("dmabuf_lab.core.file:*", _INFRA),
    ("dmabuf_lab.core.workqueue:*", _INFRA),
    ("dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.common:kref_*", _INFRA),
    ("dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.common:*completion", _INFRA),
    ("dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19:vfio_device_*_registration", _INFRA),
    ("dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19:vfio_check_feature", _INFRA),
    ("dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19:memdup_array_user", _INFRA),
    ("dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19:vfio_pci_core_init_dev", _INFRA),
    ("dmabuf_lab.linux.drivers.iommu.dma_iommu.mainline_6_19:iova_*", "the IOVA granule arithmetic of include/linux/iova.h, by value"),
    ("dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19:config_dmabuf_move_notify", "the run's Kconfig value of DMABUF_MOVE_NOTIFY"),
    ("dmabuf_lab.linux.drivers.dma_buf.dma_buf.get_pfn:config_dmabuf_move_notify", "the run's Kconfig value of DMABUF_MOVE_NOTIFY"),
    # address containers and kinds
    ("dmabuf_lab.addr.kinds:*", "the lab's tag on an address (CPU physical, bus, IOVA, DPA) that catches mixing them"),
    ("dmabuf_lab.addr.ranges:*", "the lab's array of (start, length) ranges that scenarios and kernels exchange"),
    ("dmabuf_lab.addr.phys_vec_array:*", _CONTAINER),
    ("dmabuf_lab.addr.lib_scatterlist:sg_table_*", _CONTAINER),
    ("dmabuf_lab.addr.lib_scatterlist:sg_entries_needed", _CONTAINER),
    ("dmabuf_lab.addr.lib_scatterlist:sg_dma_set_*", "assignment to the sg_dma_address()/sg_dma_len() lvalues"),
    # the PCI model
    ("dmabuf_lab.pci.pci:PciDevice.*", _PCI_MODEL),
    ("dmabuf_lab.pci.pci:Bar.*", _PCI_MODEL),
    ("dmabuf_lab.pci.pci:parse_bdf", _PCI_MODEL),
    ("dmabuf_lab.pci.pci:format_bdf", _PCI_MODEL),
    ("dmabuf_lab.pci.pci:routing_id_to_bus_devfn", _PCI_MODEL),
    ("dmabuf_lab.pci.pci:is_power_of_2", _PCI_MODEL),
    ("dmabuf_lab.pci.bridge:HostBridge.*", _PCI_MODEL),
    ("dmabuf_lab.pci.bridge:host_bridge_function", _PCI_MODEL),
    ("dmabuf_lab.pci.bridge:root_port", _PCI_MODEL),
    ("dmabuf_lab.pci.bridge:switch_*_port", _PCI_MODEL),
    ("dmabuf_lab.pci.iov:VfBar.*", _PCI_MODEL),
    ("dmabuf_lab.pci.iov:SriovCap.*", _PCI_MODEL),
    ("dmabuf_lab.pci.iov:virtfn_routing_id", _PCI_MODEL),
    ("dmabuf_lab.pci.iov:virtfn_bus", _PCI_MODEL),
    ("dmabuf_lab.pci.iov:virtfn_bar_start", _PCI_MODEL),
    ("dmabuf_lab.pci.iov:pci_iov_virtfn_bdf", _PCI_MODEL),
    ("dmabuf_lab.pci.iov:pci_iov_resource_start", _PCI_MODEL),
    ("dmabuf_lab.pci.iov:vf_for_bar_address", _PCI_MODEL),
    ("dmabuf_lab.pci.iov:enable_vfs", _PCI_MODEL),
    ("dmabuf_lab.pci.p2pdma:host_bridge_whitelist_unknown",
     "says whether a captured machine leaves the whitelist answer unknown (capture metadata)"),
    ("dmabuf_lab.pci.p2pdma:map_type_between", "the cached P2P verdict between two model devices, for the topology command"),
    # xe: oracles and helpers
    ("dmabuf_lab.drivers.xe.dpa_oracle:*", "the lab's correct VF BAR to DPA translation, the oracle the posted code is checked against"),
    ("dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.rfc_v1:range_len", "length of an inclusive struct range"),
    ("dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.rfc_v1:check_translation", "compares the posted translation with the oracle"),
    ("dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.common:xe_bo_create_vram", "the model's VRAM BO allocator (one placement, one size), not one xe function"),
    ("dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.common:xe_bo_release", "the model's BO free: gives the VRAM back"),
    ("dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.common:xe_bo_dma_ranges", "where the model's BO lives, as DMA ranges (VRAM through the BAR, or system pages)"),
    ("dmabuf_lab.linux.include.drm.drm_pagemap_h.rfc_v1:drm_pagemap_addr_assign", "C struct assignment of an array element"),
    ("dmabuf_lab.linux.drivers.gpu.drm.xe.xe_res_cursor_h.rfc_v1:xe_res_walk", "drives the cursor to the end, as the page-table walk does"),
    ("dmabuf_lab.linux.drivers.gpu.drm.xe.xe_dma_buf.offer_list:xe_vram_interconnect", "builds the offer entry xe's proposal describes"),
    ("dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.rfc_v2:vf_dev_for_bar_address", "the SR-IOV model's VF lookup used by the translation"),
    ("dmabuf_lab.linux.drivers.dma_buf.dma_buf.get_pfn:importer_maps", "selects the importer-maps philosophy of the get_pfn debate (a lab mode)"),
    ("dmabuf_lab.linux.drivers.dma_buf.dma_buf.get_pfn:exporter_maps", "selects the exporter-maps philosophy of the get_pfn debate (a lab mode)"),
    ("dmabuf_lab.revisions.get_pfn:pfn_has_struct_page", "pfn_valid() for the model's RAM (MMIO has no struct page)"),
    ("dmabuf_lab.revisions.get_pfn:dma_buf_nr_pages", "pages of a buffer, the range an importer walks"),
    ("dmabuf_lab.revisions.get_pfn:walk_pfns", "an importer's full walk of the buffer through dma_buf_get_pfn_unlocked()"),
    ("dmabuf_lab.linux.drivers.dma_buf.dma_buf.mapping_types_2026_05:iommu_domain.*", "the importer's iommu_domain of the review plan, a stand-in for iommu_map()"),
)


def allowed(name: str) -> str | None:
    """The reason ``module:qualname`` is lab machinery, or None."""
    for pattern, reason in ALLOW:
        if fnmatchcase(name, pattern):
            return reason
    return None
