"""Every name the kernels' face has offered still works, or says where it went."""
from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

# the face's names over its history: the first layout's __all__ and today's table
OFFERED = [
    "BACKENDS", "BackendUnavailable", "Workspace", "available_backends", "resolve",
    "get_order", "get_order_bulk", "ib_umem_find_best_pgsz", "ib_umem_find_best_pgsz_numpy",
    "SplitResult", "iommu_map_split", "iommu_map_split_python", "IommuPgsizeBug", "iommu_map_steps",
    "iommu_pgsize", "PageTableSummary", "PtLeaves", "build_page_table", "build_page_table_python",
    "pt_best_pgsize", "FORMATS", "PtFormat", "get_format", "TranslateResult", "TranslateTopology",
    "drm_pagemap_addr_decode", "drm_pagemap_addr_encode", "translate_bar_to_dpa", "translate_python",
]
MOVED = {
    "from_topology": "dmabuf_lab.experiments.translate_topology",
    "compare_translations": "dmabuf_lab.experiments.rfc_vs_correct",
    "Disagreement": "dmabuf_lab.experiments.rfc_vs_correct",
    "BLOCK_CROSSING": "dmabuf_lab.experiments.rfc_vs_correct",
    "LAST_PAGE": "dmabuf_lab.experiments.rfc_vs_correct",
    "ORDER_OVERSTATED": "dmabuf_lab.experiments.rfc_vs_correct",
    "OVERRUN": "dmabuf_lab.experiments.rfc_vs_correct",
}


@pytest.mark.parametrize("name", OFFERED)
def test_offered_name_resolves(name):
    kernels = importlib.import_module("dmabuf_lab.kernels")
    assert getattr(kernels, name) is not None


@pytest.mark.parametrize("name,home", sorted(MOVED.items()))
def test_moved_name_names_its_new_home(name, home):
    kernels = importlib.import_module("dmabuf_lab.kernels")
    with pytest.raises(AttributeError, match=rf"moved to {home}\.{name}"):
        getattr(kernels, name)
    assert getattr(importlib.import_module(home), name) is not None


def test_iommu_pgsize_is_callable_from_the_face_and_a_module_too():
    from dmabuf_lab.kernels import iommu_pgsize, pt_best_pgsize
    from dmabuf_lab.kernels.iommu_pgsize import iommu_pgsize as fn
    from dmabuf_lab.kernels.pt_best_pgsize import pt_best_pgsize as pt_fn

    bitmap = (1 << 12) | (1 << 21) | (1 << 30)
    # a 2 MiB-aligned 4 MiB range maps with 2 MiB pages: (page size, count)
    assert iommu_pgsize(bitmap, 0x200000, 0x400000, 0x400000) == fn(bitmap, 0x200000, 0x400000, 0x400000)
    assert iommu_pgsize(bitmap, 0x200000, 0x400000, 0x400000)[0] == 1 << 21
    assert pt_best_pgsize(bitmap, 0, (1 << 30) - 1, 0) == pt_fn(bitmap, 0, (1 << 30) - 1, 0) == 30
    assert iommu_pgsize.iommu_map_steps is not None     # and still the module


@pytest.mark.parametrize("first", ["from dmabuf_lab.kernels import iommu_pgsize as f",
                                   "import dmabuf_lab.kernels.iommu_pgsize as f"])
def test_either_import_first_gives_the_callable(first):
    code = f"{first}\nprint(f(1 << 12, 0, 0, 1 << 13))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str((1 << 12, 2))
