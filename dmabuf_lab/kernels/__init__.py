"""Bulk kernels: range translation, page-size selection, page-table construction.

Each bulk operation is a package of the same shape: ``__init__`` (the
public function and its backend dispatch), ``reference`` (the line-by-line
Python port and the numpy reference), ``device`` (per-range bodies written
once), ``cpu`` (numba) and ``cuda`` (numba.cuda, compiled from the same
bodies; runs on the CUDA simulator with ``NUMBA_ENABLE_CUDASIM=1``).
``backend="auto"`` picks the fastest backend that really runs here.  Scalar
twins of the kernel helpers are exact to the C.

This package imports only numpy, numba and (optionally) CuPy.
"""
import importlib

# every public name and the module that defines it; modules load on first use,
# so importing one small piece (``kernels.getorder``) does not start numba.
# ``kernels.iommu_pgsize`` and ``kernels.pt_best_pgsize`` are modules that can be
# called as their functions of the same name (kernels.callable_module).
_EXPORTS = {
    "backends": ("BACKENDS", "BackendUnavailable", "Workspace", "available_backends", "resolve"),
    "getorder": ("get_order", "get_order_bulk"),
    "ib_umem": ("ib_umem_find_best_pgsz", "ib_umem_find_best_pgsz_numpy"),
    "iommu_map": ("SplitResult", "iommu_map_split", "iommu_map_split_python"),
    "iommu_pgsize": ("IommuPgsizeBug", "iommu_map_steps"),
    "page_table": ("PageTableSummary", "PtLeaves", "build_page_table", "build_page_table_python"),
    "pt_formats": ("FORMATS", "PtFormat", "get_format"),
    "translate": ("TranslateResult", "TranslateTopology", "drm_pagemap_addr_decode", "drm_pagemap_addr_encode",
                  "translate_bar_to_dpa", "translate_python"),
}
_WHERE = {name: mod for mod, names in _EXPORTS.items() for name in names}
#: names that are modules callable as their namesake function
_CALLABLE_MODULES = ("iommu_pgsize", "pt_best_pgsize")
#: names the package once offered that now live above it (they need Polars or the topology)
_MOVED = {
    "from_topology": "dmabuf_lab.experiments.translate_topology",
    "compare_translations": "dmabuf_lab.experiments.rfc_vs_correct",
    "Disagreement": "dmabuf_lab.experiments.rfc_vs_correct",
    "BLOCK_CROSSING": "dmabuf_lab.experiments.rfc_vs_correct",
    "LAST_PAGE": "dmabuf_lab.experiments.rfc_vs_correct",
    "ORDER_OVERSTATED": "dmabuf_lab.experiments.rfc_vs_correct",
    "OVERRUN": "dmabuf_lab.experiments.rfc_vs_correct",
}
__all__ = list(_WHERE) + list(_CALLABLE_MODULES)


def __getattr__(name):
    if name in _CALLABLE_MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _MOVED:
        raise AttributeError(f"{__name__}.{name} moved to {_MOVED[name]}.{name}: "
                             f"use 'from {_MOVED[name]} import {name}' (the kernels import only numpy and numba)")
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
